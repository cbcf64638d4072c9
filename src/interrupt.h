/* SPDX-License-Identifier: MIT */
/*
 * interrupt.h --- SIGINT/SIGTERM/SIGHUP only raise a flag; long loops
 * check it and unwind, so temporary files are always removed.
 */
#ifndef INTERRUPT_H
#define INTERRUPT_H

#include <stdbool.h>

void interrupt_install(void);
bool interrupt_requested(void);
/* The signal that was caught (0 if none). */
int interrupt_signal(void);

#endif
