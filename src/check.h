/* SPDX-License-Identifier: MIT */
/*
 * check.h --- "e2qcow check".
 */
#ifndef CHECK_H
#define CHECK_H

int check_main(int argc, char **argv);

#endif
