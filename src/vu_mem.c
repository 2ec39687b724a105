// SPDX-License-Identifier: MIT
#include "vu_mem.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* True if [start, start + len) lies in [base, base + size), overflow-safe. */
static int range_inside(uint64_t start, uint64_t len, uint64_t base, uint64_t size)
{
	if (start < base)
		return 0;
	start -= base;
	return start <= size && len <= size - start;
}

static int region_map(struct vu_mem_region *r, const struct vhost_user_mem_region *desc, int fd)
{
	struct stat st;
	uint64_t len;
	void *map;

	if (desc->memory_size == 0 || desc->mmap_offset > UINT64_MAX - desc->memory_size ||
	    desc->guest_phys_addr > UINT64_MAX - desc->memory_size ||
	    desc->userspace_addr > UINT64_MAX - desc->memory_size)
		return -EINVAL;
	len = desc->mmap_offset + desc->memory_size;
	if (len > SIZE_MAX)
		return -EINVAL;
	/* Memory past the end of a file faults with SIGBUS on access: refuse it up front. */
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && len > (uint64_t)st.st_size)
		return -EINVAL;
	/* Map from offset 0 so hugepage-backed fds need no aligned offset. */
	map = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r->gpa = desc->guest_phys_addr;
	r->size = desc->memory_size;
	r->uva = desc->userspace_addr;
	r->mmap_offset = desc->mmap_offset;
	r->map = map;
	r->map_len = (size_t)len;
	return 0;
}

static void region_unmap(struct vu_mem_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	memset(r, 0, sizeof(*r));
}

static int region_overlaps(const struct vu_mem *mem, const struct vu_mem_region *r)
{
	for (unsigned i = 0; i < mem->n; i++) {
		const struct vu_mem_region *o = &mem->regions[i];

		if (r->gpa < o->gpa + o->size && o->gpa < r->gpa + r->size)
			return 1;
	}
	return 0;
}

uint64_t vu_mem_limit(const struct vu_mem *mem)
{
	return mem->max_mapped ? mem->max_mapped : VU_MEM_DEFAULT_MAX_MAPPED;
}

/* Adds what desc would map to *total; false if that exceeds limit (or overflows). */
static bool add_mapped(uint64_t *total, const struct vhost_user_mem_region *desc, uint64_t limit)
{
	uint64_t len;

	/* Malformed sizes are refused by region_map; here they only must not wrap. */
	if (desc->mmap_offset > UINT64_MAX - desc->memory_size)
		return true;
	len = desc->mmap_offset + desc->memory_size;
	if (len > limit || *total > limit - len)
		return false;
	*total += len;
	return true;
}

static uint64_t mapped_total(const struct vu_mem *mem)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < mem->n; i++)
		total += mem->regions[i].map_len;
	return total;
}

int vu_mem_set_table(struct vu_mem *mem, const struct vhost_user_mem_region *regions, unsigned n,
		     const int *fds)
{
	struct vu_mem next = {.max_mapped = mem->max_mapped};
	uint64_t total = 0;
	int ret = 0;

	if (n > VU_MEM_MAX_REGIONS)
		ret = -EINVAL;
	/* Checked before mapping anything: the cap protects the address space itself. */
	for (unsigned i = 0; i < n && ret == 0; i++)
		if (!add_mapped(&total, &regions[i], vu_mem_limit(mem)))
			ret = -E2BIG;
	for (unsigned i = 0; i < n && ret == 0; i++) {
		struct vu_mem_region r;

		ret = region_map(&r, &regions[i], fds[i]);
		if (ret == 0 && region_overlaps(&next, &r)) {
			region_unmap(&r);
			ret = -EINVAL;
		}
		if (ret == 0)
			next.regions[next.n++] = r;
	}
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	vu_mem_clear(mem);
	if (ret) {
		vu_mem_clear(&next);
		return ret;
	}
	*mem = next;
	return 0;
}

int vu_mem_add(struct vu_mem *mem, const struct vhost_user_mem_region *region, int fd)
{
	uint64_t total = mapped_total(mem);
	struct vu_mem_region r;
	int ret;

	if (mem->n >= VU_MEM_MAX_REGIONS) {
		close(fd);
		return -ENOSPC;
	}
	if (!add_mapped(&total, region, vu_mem_limit(mem))) {
		close(fd);
		return -E2BIG;
	}
	ret = region_map(&r, region, fd);
	close(fd);
	if (ret)
		return ret;
	if (region_overlaps(mem, &r)) {
		region_unmap(&r);
		return -EINVAL;
	}
	mem->regions[mem->n++] = r;
	return 0;
}

int vu_mem_remove(struct vu_mem *mem, const struct vhost_user_mem_region *region)
{
	for (unsigned i = 0; i < mem->n; i++) {
		struct vu_mem_region *r = &mem->regions[i];

		if (r->gpa == region->guest_phys_addr && r->size == region->memory_size &&
		    r->uva == region->userspace_addr) {
			region_unmap(r);
			mem->regions[i] = mem->regions[--mem->n];
			memset(&mem->regions[mem->n], 0, sizeof(*r));
			return 0;
		}
	}
	return -ENOENT;
}

void vu_mem_clear(struct vu_mem *mem)
{
	for (unsigned i = 0; i < mem->n; i++)
		region_unmap(&mem->regions[i]);
	mem->n = 0;
}

static const struct vu_mem_region *find_gpa(const struct vu_mem *mem, uint64_t gpa)
{
	for (unsigned i = 0; i < mem->n; i++) {
		const struct vu_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

static inline uint8_t *region_hva(const struct vu_mem_region *r, uint64_t offset)
{
	return (uint8_t *)r->map + r->mmap_offset + offset;
}

void *vu_mem_gpa_to_hva(const struct vu_mem *mem, uint64_t gpa, uint64_t len)
{
	const struct vu_mem_region *r = find_gpa(mem, gpa);

	if (!r || !range_inside(gpa, len, r->gpa, r->size))
		return NULL;
	return region_hva(r, gpa - r->gpa);
}

void *vu_mem_uva_to_hva(const struct vu_mem *mem, uint64_t uva, uint64_t len)
{
	for (unsigned i = 0; i < mem->n; i++) {
		const struct vu_mem_region *r = &mem->regions[i];

		if (range_inside(uva, len, r->uva, r->size))
			return region_hva(r, uva - r->uva);
	}
	return NULL;
}

int vu_mem_check(const struct vu_mem *mem, uint64_t gpa, uint64_t len)
{
	while (len) {
		const struct vu_mem_region *r = find_gpa(mem, gpa);
		uint64_t chunk;

		if (!r)
			return -EFAULT;
		chunk = r->size - (gpa - r->gpa);
		if (chunk >= len)
			return 0;
		if (gpa > UINT64_MAX - chunk)
			return -EFAULT;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

/* Walks [gpa, gpa + len) region by region; copy direction chosen by `to_guest`. */
static int mem_copy(const struct vu_mem *mem, uint64_t gpa, uint8_t *host, size_t len, int to_guest)
{
	const struct vu_mem_region *first = find_gpa(mem, gpa);

	/* The common case: the whole range in one region, one lookup. */
	if (first && range_inside(gpa, len, first->gpa, first->size)) {
		uint8_t *p = region_hva(first, gpa - first->gpa);

		if (to_guest)
			memcpy(p, host, len);
		else
			memcpy(host, p, len);
		return 0;
	}
	/* Check first so a failing copy never leaves a partial write behind. */
	if (vu_mem_check(mem, gpa, len))
		return -EFAULT;
	while (len) {
		const struct vu_mem_region *r = find_gpa(mem, gpa);
		uint64_t off, chunk;

		if (!r)
			return -EFAULT;
		off = gpa - r->gpa;
		chunk = r->size - off;
		if (chunk > len)
			chunk = len;
		if (to_guest)
			memcpy(region_hva(r, off), host, (size_t)chunk);
		else
			memcpy(host, region_hva(r, off), (size_t)chunk);
		host += chunk;
		len -= (size_t)chunk;
		gpa += chunk;
	}
	return 0;
}

int vu_mem_read(const struct vu_mem *mem, uint64_t gpa, void *dst, size_t len)
{
	return mem_copy(mem, gpa, dst, len, 0);
}

int vu_mem_write(const struct vu_mem *mem, uint64_t gpa, const void *src, size_t len)
{
	return mem_copy(mem, gpa, (uint8_t *)src, len, 1);
}
