# images/: the QEMU guest image, kernel + initramfs (docs/QEMU.md).
#
#   make images   ->  build/images/vmlinuz            Debian's stock kernel
#                     build/images/initramfs.cpio.gz  busybox + aivisor-agent + ivshmem-probe + /init + data
#
# The kernel .deb is downloaded once into build/images/deb/ (apt-get
# download, no kernel installed on the host); AIVISOR_KERNEL=/path/bzImage
# uses a given kernel instead.

IMAGES_DIR    := $(BUILD)/images
IMAGE_KERNEL  := $(IMAGES_DIR)/vmlinuz
IMAGE_INITRD  := $(IMAGES_DIR)/initramfs.cpio.gz
IMAGE_PROGS   := $(BUILD)/guest/aivisor-agent $(BUILD)/guest/ivshmem-probe
IMAGE_BUSYBOX := /bin/busybox
IMAGE_DATA    := datasets/digits.csv datasets/diabetes.csv

images: $(IMAGE_KERNEL) $(IMAGE_INITRD)

$(IMAGE_KERNEL): images/fetch-kernel.sh
	images/fetch-kernel.sh $@ $(IMAGES_DIR)/deb

$(IMAGE_INITRD): images/mkinitramfs.sh images/init $(IMAGE_PROGS) $(IMAGE_DATA) \
		$(wildcard $(IMAGE_BUSYBOX))
	images/mkinitramfs.sh $@ images/init $(IMAGE_BUSYBOX) $(IMAGE_PROGS:%=-p %) $(IMAGE_DATA:%=-d %)
