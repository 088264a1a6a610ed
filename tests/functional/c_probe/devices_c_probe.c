// GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
// https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// An independent oracle for the devices subset: the request numbers from the kernel's own uapi
// headers, and for each path given, open(O_RDWR) and the device's question, printed as
// "key value" lines. Usage: devices_c_probe [path...]
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/psp-sev.h>
#include <linux/vfio.h>
#include <linux/vhost.h>
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif

static void ask(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("open %s %d\n", path, errno);
        return;
    }
    printf("open %s 0\n", path);
    if (strcmp(path, "/dev/net/tun") == 0) {
        unsigned int features = 0;
        if (ioctl(fd, TUNGETFEATURES, &features) == 0)
            printf("answer %s %u\n", path, features);
        else
            printf("error %s %d\n", path, errno);
    } else if (strncmp(path, "/dev/vhost-", 11) == 0) {
        unsigned long long features = 0;
        if (ioctl(fd, VHOST_GET_FEATURES, &features) == 0)
            printf("answer %s %llu\n", path, features);
        else
            printf("error %s %d\n", path, errno);
    } else if (strcmp(path, "/dev/vfio/vfio") == 0) {
        printf("answer %s %d %d %d\n", path, ioctl(fd, VFIO_GET_API_VERSION),
               ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0,
               ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0);
    }
    close(fd);
}

int main(int argc, char **argv)
{
    printf("TUNGETFEATURES %lu\n", (unsigned long)TUNGETFEATURES);
    printf("VHOST_GET_FEATURES %lu\n", (unsigned long)VHOST_GET_FEATURES);
    printf("VFIO_GET_API_VERSION %lu\n", (unsigned long)VFIO_GET_API_VERSION);
    printf("VFIO_CHECK_EXTENSION %lu\n", (unsigned long)VFIO_CHECK_EXTENSION);
    printf("SEV_ISSUE_CMD %lu\n", (unsigned long)SEV_ISSUE_CMD);
#ifdef IOMMU_IOAS_ALLOC
    printf("IOMMU_IOAS_ALLOC %lu\n", (unsigned long)IOMMU_IOAS_ALLOC);
#endif
    for (int i = 1; i < argc; i++)
        ask(argv[i]);
    return 0;
}
