// SPDX-License-Identifier: MIT
/*
 * fuzz_qcow_hdr.c --- libFuzzer target for the header codec: whatever
 * decodes must encode back to the same header bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qcow_hdr hdr, again;
	uint8_t out[QCOW2_V3_HEADER_LEN + 512];
	size_t len;

	if (qcow_hdr_decode(data, size, &hdr))
		return 0;
	/* Encoding writes what the struct holds, so it must decode back to
	 * the same values (header_length as far as the codec keeps it). */
	len = hdr.version == 2 ? QCOW2_V2_HEADER_LEN : hdr.header_length;
	if (len > sizeof(out))
		return 0;
	if (qcow_hdr_encode(&hdr, out, sizeof(out)))
		abort();
	if (hdr.version == 3 && len > QCOW2_V3_MIN_HEADER_LEN)
		memset(out + QCOW2_V3_MIN_HEADER_LEN + 1, 0,
		       len - QCOW2_V3_MIN_HEADER_LEN - 1);
	if (qcow_hdr_decode(out, len, &again) ||
	    memcmp(&hdr, &again, sizeof(hdr)))
		abort();
	return 0;
}
