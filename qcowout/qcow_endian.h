/* SPDX-License-Identifier: MIT */
/*
 * qcow_endian.h --- byte-wise big-endian load/store.
 *
 * qcow2 stores every integer big-endian.  These helpers work on byte
 * pointers so they are alignment- and host-order-free; all qcow2 field
 * access in qcowout goes through them.
 */
#ifndef QCOW_ENDIAN_H
#define QCOW_ENDIAN_H

#include <stdint.h>

static inline uint16_t qcow_load_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t qcow_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t qcow_load_be64(const uint8_t *p)
{
	return (uint64_t)qcow_load_be32(p) << 32 | qcow_load_be32(p + 4);
}

static inline void qcow_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void qcow_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void qcow_store_be64(uint8_t *p, uint64_t v)
{
	qcow_store_be32(p, (uint32_t)(v >> 32));
	qcow_store_be32(p + 4, (uint32_t)v);
}

#endif
