/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as announced by the VMM (SET_MEM_TABLE, ADD/REM_MEM_REG).
 *
 * Each region is mmap()ed from the fd the VMM sent; the fd is closed once
 * mapped. Two address spaces are translated: guest-physical addresses (used
 * inside descriptors) and the VMM's own virtual addresses (used only by
 * SET_VRING_ADDR). Every translation checks the whole range against one
 * region without overflow. Pointers returned are borrowed: valid until the
 * next change of the table. Guest data is hostile and may change under us:
 * callers copy what they parse (vu_mem_read) instead of reading twice.
 */
#ifndef VI2C_VU_MEM_H
#define VI2C_VU_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define VU_MEM_MAX_REGIONS 32 /* reported by GET_MAX_MEM_SLOTS */

/*
 * Default cap on the address space one connection may map (--max-guest-memory):
 * generous for real VMs, yet 128 connections fit in x86-64's 128 TiB user space.
 */
#define VU_MEM_DEFAULT_MAX_MAPPED (1ull << 40)

struct vu_mem_region {
	uint64_t gpa;  /* guest-physical start */
	uint64_t size; /* bytes */
	uint64_t uva;  /* the VMM's virtual address of the start */
	uint64_t mmap_offset;
	void *map; /* our mapping of [0, mmap_offset + size) of the fd */
	size_t map_len;
};

struct vu_mem {
	struct vu_mem_region regions[VU_MEM_MAX_REGIONS];
	unsigned n;
	/*
	 * Cap on the sum of map_len over the regions (what the table costs in
	 * address space: each region is mapped from offset 0 of its fd, so
	 * mmap_offset + size); 0 = VU_MEM_DEFAULT_MAX_MAPPED. Set by the owner,
	 * kept across table changes.
	 */
	uint64_t max_mapped;
};

/* The cap in force (max_mapped, or the default). */
uint64_t vu_mem_limit(const struct vu_mem *mem);

/*
 * Replaces the whole table. Takes ownership of fds[0..n) (closed in every
 * case). On error the old table is unmapped too and the table is empty:
 * nothing may keep using memory the VMM meant to replace. Returns 0,
 * -E2BIG (the regions would map more than vu_mem_limit; nothing was
 * mapped), -EINVAL or -errno of fstat/mmap.
 */
int vu_mem_set_table(struct vu_mem *mem, const struct vhost_user_mem_region *regions, unsigned n,
		     const int *fds);

/*
 * Adds one region (takes ownership of fd); on error the table is unchanged.
 * Returns 0, -ENOSPC, -E2BIG (over vu_mem_limit together with the regions
 * already mapped), -EINVAL or -errno of mmap.
 */
int vu_mem_add(struct vu_mem *mem, const struct vhost_user_mem_region *region, int fd);

/* Removes the region matching gpa, size and uva. Returns 0 or -ENOENT. */
int vu_mem_remove(struct vu_mem *mem, const struct vhost_user_mem_region *region);

/* Unmaps everything. */
void vu_mem_clear(struct vu_mem *mem);

/*
 * Host pointer for [gpa, gpa + len) if it lies inside one region, else NULL.
 * Only the unit tests use it (test_vu_mem); the daemon copies (vu_mem_read/write).
 */
void *vu_mem_gpa_to_hva(const struct vu_mem *mem, uint64_t gpa, uint64_t len);

/* Host pointer for the VMM virtual range [uva, uva + len), else NULL. */
void *vu_mem_uva_to_hva(const struct vu_mem *mem, uint64_t uva, uint64_t len);

/* 0 if every byte of [gpa, gpa + len) is guest memory (regions may be adjacent), else -EFAULT. */
int vu_mem_check(const struct vu_mem *mem, uint64_t gpa, uint64_t len);

/*
 * Copies guest memory [gpa, gpa + len) to dst / src to guest memory; the
 * range may span adjacent regions. Returns 0 or -EFAULT; on error nothing
 * was copied.
 */
int vu_mem_read(const struct vu_mem *mem, uint64_t gpa, void *dst, size_t len);
int vu_mem_write(const struct vu_mem *mem, uint64_t gpa, const void *src, size_t len);

#endif
