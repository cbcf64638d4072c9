// SPDX-License-Identifier: MIT
/*
 * qcow_reader_snap.c --- the internal snapshot table: checked against
 * QEMU's limits and kept for "e2qcow info" and "e2qcow check".  Reads
 * always use the active L1 table.
 *
 * Entry: u64 l1_offset, u32 l1_size, u16 id_len, u16 name_len, u32
 * date_sec, u32 date_nsec, u64 vm_clock, u32 vm_state_size, u32
 * extra_size, extra, id, name, padding to 8 (spec, "Snapshots").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_reader_int.h"

#define SNAP_FIXED 40U

static void copy_string(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

static errcode_t parse_entry(struct qcow_reader *r, const uint8_t *p,
			     uint64_t avail, struct qcow_snapshot_info *s,
			     uint64_t *used)
{
	uint32_t extra, id_len, name_len;
	uint64_t len;

	if (avail < SNAP_FIXED)
		return QCOW_ERR_BAD_SNAPSHOT;
	id_len = qcow_load_be16(p + 12);
	name_len = qcow_load_be16(p + 14);
	extra = qcow_load_be32(p + 36);
	if (extra > QCOW_MAX_SNAPSHOT_EXTRA)
		return QCOW_ERR_BAD_SNAPSHOT;
	len = SNAP_FIXED + (uint64_t)extra + id_len + name_len;
	len = (len + 7) & ~7ULL;
	if (len > avail)
		return QCOW_ERR_BAD_SNAPSHOT;
	s->l1_offset = qcow_load_be64(p);
	s->l1_size = qcow_load_be32(p + 8);
	s->date_sec = qcow_load_be32(p + 16);
	s->vm_state_size = qcow_load_be32(p + 32);
	s->disk_size = r->size;
	if (extra >= 8)
		s->vm_state_size = qcow_load_be64(p + SNAP_FIXED);
	if (extra >= 16)
		s->disk_size = qcow_load_be64(p + SNAP_FIXED + 8);
	copy_string(s->id, sizeof(s->id), p + SNAP_FIXED + extra, id_len);
	copy_string(s->name, sizeof(s->name), p + SNAP_FIXED + extra + id_len,
		    name_len);
	if ((s->l1_offset & (r->cluster_size - 1)) ||
	    (uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return QCOW_ERR_BAD_SNAPSHOT;
	*used = len;
	return 0;
}

/* Each entry is read on its own: the table may be far smaller than the
 * 64 MiB QEMU allows, and the file far larger. */
errcode_t qcow_reader_read_snapshots(struct qcow_reader *r)
{
	uint64_t off = r->hdr.snapshots_offset, total = 0;
	uint8_t fixed[SNAP_FIXED], *entry = NULL;
	errcode_t err = 0;

	if (!r->hdr.nb_snapshots)
		return 0;
	r->snapshots = calloc(r->hdr.nb_snapshots, sizeof(*r->snapshots));
	if (!r->snapshots)
		return ENOMEM;
	for (uint32_t i = 0; !err && i < r->hdr.nb_snapshots; i++) {
		uint64_t avail = r->file_size - off, len, used;

		if (avail > QCOW_MAX_SNAPSHOTS_BYTES - total)
			avail = QCOW_MAX_SNAPSHOTS_BYTES - total;
		if (avail < SNAP_FIXED)
			return QCOW_ERR_BAD_SNAPSHOT;
		err = r->io->pread(r->io, fixed, SNAP_FIXED, off);
		if (err)
			break;
		len = SNAP_FIXED + (uint64_t)qcow_load_be32(fixed + 36) +
		      qcow_load_be16(fixed + 12) + qcow_load_be16(fixed + 14);
		len = (len + 7) & ~7ULL;
		if (len > avail ||
		    qcow_load_be32(fixed + 36) > QCOW_MAX_SNAPSHOT_EXTRA)
			return QCOW_ERR_BAD_SNAPSHOT;
		entry = malloc((size_t)len);
		if (!entry)
			return ENOMEM;
		err = r->io->pread(r->io, entry, (size_t)len, off);
		if (!err)
			err = parse_entry(r, entry, len, &r->snapshots[i],
					  &used);
		free(entry);
		off += len;
		total += len;
		if (!err)
			r->nb_snapshots = i + 1;
	}
	r->snapshots_len = total;
	return err;
}
