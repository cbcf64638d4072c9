/* SPDX-License-Identifier: MIT */
/*
 * interrupt.h --- SIGINT/SIGTERM/SIGHUP only raise a flag; long loops
 * check it and unwind, so temporary files are always removed.
 */
#ifndef INTERRUPT_H
#define INTERRUPT_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>

/* What a job returns when a signal stopped it, in every command. */
#define INTERRUPT_CANCELLED ECANCELED

void interrupt_install(void);
bool interrupt_requested(void);
/* The signal that was caught (0 if none). */
int interrupt_signal(void);
/*
 * Hold SIGINT, SIGTERM, SIGHUP and SIGQUIT (saving the old mask in @old)
 * around work that must not stop halfway, such as rewriting a device in
 * place; interrupt_release() delivers what came meanwhile.
 */
void interrupt_hold(sigset_t *old);
void interrupt_release(const sigset_t *old);

#endif
