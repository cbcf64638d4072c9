// SPDX-License-Identifier: MIT
/*
 * blkcmp.c --- test helper: every block that is not all zero in REF
 * must be byte-identical in IMG.  Used to show that an image holds all
 * that e2image -r writes.
 *
 *   blkcmp REF IMG BLOCKSIZE     exit 0 if so, 1 listing the first
 *                                differing blocks, 2 on errors
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	FILE *ref, *img;
	size_t bs;
	uint8_t *a, *b;
	uint64_t blk = 0, checked = 0, bad = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: blkcmp REF IMG BLOCKSIZE\n");
		return 2;
	}
	bs = (size_t)strtoul(argv[3], NULL, 10);
	ref = fopen(argv[1], "rb");
	img = fopen(argv[2], "rb");
	a = malloc(bs);
	b = calloc(1, bs);
	if (!ref || !img || !a || !b || !bs) {
		perror("blkcmp");
		return 2;
	}
	for (;; blk++) {
		size_t n = fread(a, 1, bs, ref);
		size_t m;

		if (!n)
			break;
		memset(b, 0, bs);
		m = fread(b, 1, bs, img);
		(void)m;
		if (a[0] == 0 && !memcmp(a, a + 1, n - 1))
			continue;
		checked++;
		if (memcmp(a, b, n)) {
			if (bad++ < 20)
				printf("block %llu differs\n",
				       (unsigned long long)blk);
		}
	}
	printf("%llu non-zero blocks checked, %llu differ\n",
	       (unsigned long long)checked, (unsigned long long)bad);
	fclose(ref);
	fclose(img);
	free(a);
	free(b);
	return bad ? 1 : 0;
}
