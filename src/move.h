/* SPDX-License-Identifier: MIT */
/*
 * move.h --- move a filesystem within its own file or device (-ra -O).
 */
#ifndef MOVE_H
#define MOVE_H

#include <stdbool.h>
#include <stdint.h>

/* Move the filesystem at byte @from of @path to byte @to; exit status. */
int move_in_place(const char *path, uint64_t from, uint64_t to, bool force);

#endif
