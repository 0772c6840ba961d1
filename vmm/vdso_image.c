/*
 * vdso_image.c - embeds the vDSO built from vmm/vdso/ (VDSO_SO is its
 * path, set by vmm/vmm.mk) as vdso_image[] .. vdso_image_end[].
 */
#ifndef VDSO_SO
#error "VDSO_SO must name the built vDSO"
#endif
#define STR2(x) #x
#define STR(x) STR2(x)

__asm__(".section .rodata\n"
	".balign 16\n"
	".global vdso_image\n"
	"vdso_image:\n"
	".incbin \"" STR(VDSO_SO) "\"\n"
	".global vdso_image_end\n"
	"vdso_image_end:\n"
	".previous\n");
