/* SPDX-License-Identifier: MIT */
/*
 * Wire formats: vhost-user messages, split virtqueue layout, virtio-i2c
 * requests. Written from the specifications (docs/interop/vhost-user.rst,
 * virtio 1.2 §2.7 and §5.19); shared by the daemon and the test frontend.
 * All virtqueue and virtio-i2c fields are little-endian (VERSION_1);
 * vhost-user messages are in host byte order.
 */
#ifndef VI2C_PROTO_H
#define VI2C_PROTO_H

#include <stdint.h>

/* ---- virtio feature bits ---- */
#define VIRTIO_I2C_F_ZERO_LENGTH_REQUEST 0
#define VIRTIO_RING_F_INDIRECT_DESC	 28
#define VIRTIO_RING_F_EVENT_IDX		 29
#define VHOST_USER_F_PROTOCOL_FEATURES	 30
#define VIRTIO_F_VERSION_1		 32
#define VIRTIO_F_RING_PACKED		 34
#define VIRTIO_F_RING_RESET		 40

/* ---- vhost-user protocol feature bits ---- */
#define VHOST_USER_PROTOCOL_F_MQ		  0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK		  3
#define VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15

/* ---- vhost-user requests (frontend -> backend) ---- */
enum vhost_user_request {
	VHOST_USER_NONE = 0,
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
	VHOST_USER_NET_SET_MTU = 20,
	VHOST_USER_SET_SLAVE_REQ_FD = 21,
	VHOST_USER_IOTLB_MSG = 22,
	VHOST_USER_SET_VRING_ENDIAN = 23,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_ADD_MEM_REG = 37,
	VHOST_USER_REM_MEM_REG = 38,
	VHOST_USER_SET_STATUS = 39,
	VHOST_USER_GET_STATUS = 40,
};

#define VHOST_USER_VERSION	   0x1
#define VHOST_USER_VERSION_MASK	   0x3
#define VHOST_USER_REPLY_MASK	   0x4
#define VHOST_USER_NEED_REPLY_MASK 0x8
#define VHOST_USER_VRING_NOFD_MASK 0x100
#define VHOST_USER_VRING_IDX_MASK  0xff
#define VHOST_USER_MAX_FDS	   8
#define VHOST_USER_MAX_RAM_SLOTS   8 /* regions in one SET_MEM_TABLE */
#define VHOST_USER_MAX_PAYLOAD	   4096
#define VHOST_USER_VRING_F_LOG	   0x1

struct vhost_user_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc_user_addr;
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vhost_user_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset;
};

struct vhost_user_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_mem_region regions[VHOST_USER_MAX_RAM_SLOTS];
};

struct vhost_user_single_region {
	uint64_t padding;
	struct vhost_user_mem_region region;
};

/* ---- split virtqueue (virtio 1.2 §2.7) ---- */
#define VRING_DESC_F_NEXT	   1
#define VRING_DESC_F_WRITE	   2
#define VRING_DESC_F_INDIRECT	   4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY	   1
#define VIRTQ_MAX_SIZE		   32768

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* ring[num], then le16 used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[]; /* ring[num], then le16 avail_event */
};

static inline uint64_t vring_desc_size(unsigned num)
{
	return 16ull * num;
}
static inline uint64_t vring_avail_size(unsigned num)
{
	return 6ull + 2ull * num; /* flags, idx, ring, used_event */
}
static inline uint64_t vring_used_size(unsigned num)
{
	return 6ull + 8ull * num; /* flags, idx, ring, avail_event */
}

/* ---- virtio-i2c (virtio 1.2 §5.19) ---- */
#define VIRTIO_ID_I2C_ADAPTER	   34
#define VIRTIO_I2C_FLAGS_FAIL_NEXT 0x1
#define VIRTIO_I2C_FLAGS_M_RD	   0x2
#define VIRTIO_I2C_MSG_OK	   0
#define VIRTIO_I2C_MSG_ERR	   1
#define VIRTIO_I2C_MAX_BUF	   8192 /* our cap on one request's buffer */

struct virtio_i2c_out_hdr {
	uint16_t addr; /* 7-bit address << 1 */
	uint16_t padding;
	uint32_t flags;
};

struct virtio_i2c_in_hdr {
	uint8_t status;
};

#endif
