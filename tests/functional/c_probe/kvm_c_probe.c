/* An independent KVM probe in C, used only by the tests: it prints what the
 * kernel answers, through the C header's own ioctl macros, so the Python probe
 * can be checked against it without any value of a particular machine.
 *
 * usage: kvm_c_probe requests            -> request numbers of the C header (this architecture's)
 *        kvm_c_probe DEVICE MAX_CAP      -> api, mmap size, every cap 0..MAX_CAP
 * Output: one "key value" pair a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

static void requests(void)
{
    printf("KVM_GET_API_VERSION %lu\n", (unsigned long)KVM_GET_API_VERSION);
    printf("KVM_CREATE_VM %lu\n", (unsigned long)KVM_CREATE_VM);
    printf("KVM_CHECK_EXTENSION %lu\n", (unsigned long)KVM_CHECK_EXTENSION);
    printf("KVM_GET_VCPU_MMAP_SIZE %lu\n", (unsigned long)KVM_GET_VCPU_MMAP_SIZE);
    printf("KVM_TRACE_ENABLE %lu\n", (unsigned long)KVM_TRACE_ENABLE);
    printf("KVM_TRACE_PAUSE %lu\n", (unsigned long)KVM_TRACE_PAUSE);
    printf("KVM_TRACE_DISABLE %lu\n", (unsigned long)KVM_TRACE_DISABLE);
    printf("KVM_CREATE_VCPU %lu\n", (unsigned long)KVM_CREATE_VCPU);
    printf("KVM_SET_USER_MEMORY_REGION %lu\n", (unsigned long)KVM_SET_USER_MEMORY_REGION);
    printf("KVM_RUN %lu\n", (unsigned long)KVM_RUN);
    printf("KVM_GET_ONE_REG %lu\n", (unsigned long)KVM_GET_ONE_REG);
    printf("KVM_SET_ONE_REG %lu\n", (unsigned long)KVM_SET_ONE_REG);
#if defined(__x86_64__) || defined(__i386__)
    /* x86-only structs: the macros do not compile elsewhere */
    printf("KVM_GET_MSR_INDEX_LIST %lu\n", (unsigned long)KVM_GET_MSR_INDEX_LIST);
    printf("KVM_GET_SUPPORTED_CPUID %lu\n", (unsigned long)KVM_GET_SUPPORTED_CPUID);
    printf("KVM_GET_MSR_FEATURE_INDEX_LIST %lu\n", (unsigned long)KVM_GET_MSR_FEATURE_INDEX_LIST);
    printf("KVM_GET_REGS %lu\n", (unsigned long)KVM_GET_REGS);
    printf("KVM_SET_REGS %lu\n", (unsigned long)KVM_SET_REGS);
    printf("KVM_GET_SREGS %lu\n", (unsigned long)KVM_GET_SREGS);
    printf("KVM_SET_SREGS %lu\n", (unsigned long)KVM_SET_SREGS);
#endif
#ifdef __aarch64__
    printf("KVM_ARM_VCPU_INIT %lu\n", (unsigned long)KVM_ARM_VCPU_INIT);
    printf("KVM_ARM_PREFERRED_TARGET %lu\n", (unsigned long)KVM_ARM_PREFERRED_TARGET);
#endif
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "requests") == 0) {
        requests();
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s requests | DEVICE MAX_CAP\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("api_version %d\n", ioctl(fd, KVM_GET_API_VERSION, 0));
    printf("vcpu_mmap_size %d\n", ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0));
#if defined(__x86_64__) || defined(__i386__)
    {
        static struct { struct kvm_cpuid2 head; struct kvm_cpuid_entry2 entries[4096]; } cpuid;
        cpuid.head.nent = 4096;
        if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, &cpuid) == 0)
            printf("cpuid_entries %u\n", cpuid.head.nent);
        struct kvm_msr_list msrs = { .nmsrs = 0 };
        if (ioctl(fd, KVM_GET_MSR_INDEX_LIST, &msrs) < 0 && errno == E2BIG)
            printf("msr_index_count %u\n", msrs.nmsrs);
    }
#endif
    int max_cap = atoi(argv[2]);
    for (int cap = 0; cap <= max_cap; cap++) {
        int value = ioctl(fd, KVM_CHECK_EXTENSION, cap);
        printf("cap %d %d\n", cap, value < 0 ? 0 : value);
    }
#ifdef __aarch64__
    {
        /* the target and features the kernel prefers for vCPUs of a default VM */
        struct kvm_vcpu_init init;
        int vm = ioctl(fd, KVM_CREATE_VM, 0);
        memset(&init, 0, sizeof(init));
        if (vm >= 0 && ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) == 0)
            printf("arm_preferred_target %u %u\n", init.target, init.features[0]);
        if (vm >= 0)
            close(vm);
    }
#endif
    close(fd);
    return 0;
}
