// SPDX-License-Identifier: MIT
/* Guest memory on memfds, split into regions at non-contiguous guest addresses. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vu_frontend.h"

#define PAGE 4096ull

static int map_memfd(struct vf_mem *mem, uint64_t len)
{
	unsigned i = mem->nmaps;
	int fd, err;
	void *p;

	fd = memfd_create("vf-guest-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len) < 0) {
		err = -errno;
		goto err_close;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto err_close;
	}
	mem->map_fd[i] = fd;
	mem->map_base[i] = p;
	mem->map_len[i] = len;
	mem->nmaps++;
	return 0;

err_close:
	close(fd);
	return err;
}

struct vf_mem *vf_mem_create(const struct vf_mem_opts *opts)
{
	struct vf_mem *mem;
	uint64_t rsize;
	unsigned i;
	int err;

	if (!opts || opts->nregions < 1 || opts->nregions > VF_MAX_REGIONS || !opts->size) {
		errno = EINVAL;
		return NULL;
	}
	rsize = (opts->size / opts->nregions + PAGE - 1) & ~(PAGE - 1);
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return NULL;
	mem->nregions = opts->nregions;

	if (opts->shared_fd) {
		err = map_memfd(mem, rsize * opts->nregions);
		if (err)
			goto err_free;
	}
	for (i = 0; i < opts->nregions; i++) {
		struct vf_region *r = &mem->regions[i];

		if (!opts->shared_fd) {
			err = map_memfd(mem, rsize);
			if (err)
				goto err_free;
		}
		r->gpa = i * VF_REGION_STRIDE;
		r->size = rsize;
		r->fd = mem->map_fd[mem->nmaps - 1];
		r->mmap_offset = opts->shared_fd ? i * rsize : 0;
		r->hva = mem->map_base[mem->nmaps - 1] + r->mmap_offset;
	}
	return mem;

err_free:
	vf_mem_destroy(mem);
	errno = -err;
	return NULL;
}

void vf_mem_destroy(struct vf_mem *mem)
{
	unsigned i;

	if (!mem)
		return;
	for (i = 0; i < mem->nmaps; i++) {
		munmap(mem->map_base[i], mem->map_len[i]);
		close(mem->map_fd[i]);
	}
	free(mem);
}

int vf_mem_region_of(const struct vf_mem *mem, uint64_t gpa)
{
	unsigned i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vf_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return (int)i;
	}
	return -EFAULT;
}

void *vf_mem_hva(const struct vf_mem *mem, uint64_t gpa, uint64_t len)
{
	int i = vf_mem_region_of(mem, gpa);
	const struct vf_region *r;

	if (i < 0)
		return NULL;
	r = &mem->regions[i];
	if (len > r->size - (gpa - r->gpa))
		return NULL;
	return r->hva + (gpa - r->gpa);
}

int vf_mem_gpa(const struct vf_mem *mem, const void *hva, uint64_t *gpa)
{
	uintptr_t p = (uintptr_t)hva;
	unsigned i;

	for (i = 0; i < mem->nregions; i++) {
		const struct vf_region *r = &mem->regions[i];
		uintptr_t base = (uintptr_t)r->hva;

		if (p >= base && p - base < r->size) {
			*gpa = r->gpa + (p - base);
			return 0;
		}
	}
	return -EFAULT;
}

static int alloc_in(struct vf_region *r, uint64_t size, uint64_t align, uint64_t *gpa, void **hva)
{
	uint64_t off = (r->alloc_off + align - 1) & ~(align - 1);

	if (off > r->size || size > r->size - off)
		return -ENOMEM;
	r->alloc_off = off + size;
	memset(r->hva + off, 0, size);
	*gpa = r->gpa + off;
	if (hva)
		*hva = r->hva + off;
	return 0;
}

int vf_mem_alloc(struct vf_mem *mem, unsigned region, uint64_t size, uint64_t align, uint64_t *gpa,
		 void **hva)
{
	unsigned i;

	if (!align || (align & (align - 1)))
		return -EINVAL;
	if (region != VF_REGION_ANY) {
		if (region >= mem->nregions)
			return -EINVAL;
		return alloc_in(&mem->regions[region], size, align, gpa, hva);
	}
	for (i = 0; i < mem->nregions; i++) {
		if (!alloc_in(&mem->regions[i], size, align, gpa, hva))
			return 0;
	}
	return -ENOMEM;
}

void vf_mem_wire_region(const struct vf_mem *mem, unsigned i, struct vhost_user_mem_region *out)
{
	const struct vf_region *r = &mem->regions[i];

	out->guest_phys_addr = r->gpa;
	out->memory_size = r->size;
	out->userspace_addr = (uint64_t)(uintptr_t)r->hva;
	out->mmap_offset = r->mmap_offset;
}
