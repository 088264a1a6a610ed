#!/bin/sh
# PID 1 of the emulated arm64 machine (tools/arm64/build-image.sh puts it at /init; /bin/sh is busybox).
# It mounts the kernel's file systems, runs the payload that the run appended as a second
# initramfs archive (/payload/run), and powers off, so QEMU exits when the work is done.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs tmpfs /tmp
/bin/busybox mkdir -p /run/busybox && /bin/busybox --install -s /run/busybox
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin:/run/busybox HOME=/root LANG=C.UTF-8
echo "FLEETCHECK-BOOTED $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
if [ -x /payload/run ]; then
    /payload/run
else
    echo "FLEETCHECK-NO-PAYLOAD"
fi
echo "FLEETCHECK-DONE $(/bin/busybox cut -d' ' -f1 /proc/uptime)"
/bin/busybox sync
/bin/busybox poweroff -f
