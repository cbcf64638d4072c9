/* SPDX-License-Identifier: MIT */
/*
 * info.h --- "e2qcow info" and "e2qcow check".
 */
#ifndef INFO_H
#define INFO_H

int info_main(int argc, char **argv);
int check_main(int argc, char **argv);

#endif
