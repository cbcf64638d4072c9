// SPDX-License-Identifier: MIT
/*
 * output.c --- atomic image output: temporary name, then rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "output.h"

char *output_dir_of(const char *path)
{
	char *copy = strdup(path);
	char *dir;

	if (!copy)
		return NULL;
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

/* DIR/.NAME.e2qcow-SUFFIX for the output DIR/NAME. */
static char *name_beside(const char *path, const char *suffix)
{
	char *copy = strdup(path);
	char *dir = output_dir_of(path);
	char *name = NULL;

	if (copy && dir &&
	    asprintf(&name, "%s/.%s.e2qcow-%s", dir, basename(copy), suffix) <
		    0)
		name = NULL;
	free(copy);
	free(dir);
	return name;
}

static errcode_t make_temp(struct output *o)
{
	o->tmp_path = name_beside(o->path, "XXXXXX");
	if (!o->tmp_path)
		return ENOMEM;
	/* mkstemp makes it 0600, and so it stays: an image holds names,
	 * metadata and (with -a) every file's contents, as e2image's
	 * do. */
	o->fd = mkostemp(o->tmp_path, O_CLOEXEC);
	if (o->fd < 0) {
		errcode_t err = errno;

		free(o->tmp_path);
		o->tmp_path = NULL;
		return err;
	}
	return 0;
}

static errcode_t open_device(struct output *o)
{
	uint64_t size = 0;

	/* Read-write: restore looks before it zero-fills. */
	o->fd = open(o->path, O_RDWR | O_CLOEXEC);
	if (o->fd < 0)
		return errno;
	if (ioctl(o->fd, BLKGETSIZE64, &size) < 0)
		return errno;
	o->device_size = size;
	return 0;
}

/*
 * A symbolic link is written through, never replaced: the file it names
 * becomes the output (and, being renamed over, keeps its name there).
 */
static errcode_t follow_link(struct output *o, const char *path,
			     const char **what)
{
	struct stat st;
	char *dir, *target;
	ssize_t n;

	if (lstat(path, &st) || !S_ISLNK(st.st_mode))
		return 0;
	*what = "following the symbolic link";
	o->resolved = realpath(path, NULL);
	if (o->resolved)
		return 0;
	if (errno != ENOENT)
		return errno;
	/* Dangling: the link's target, relative to the link's directory. */
	target = malloc((size_t)st.st_size + 1);
	if (!target)
		return ENOMEM;
	n = readlink(path, target, (size_t)st.st_size + 1);
	if (n < 0 || n > st.st_size) {
		free(target);
		return n < 0 ? errno : EAGAIN;
	}
	target[n] = 0;
	if (target[0] == '/') {
		o->resolved = target;
		return 0;
	}
	dir = output_dir_of(path);
	if (dir && asprintf(&o->resolved, "%s/%s", dir, target) < 0)
		o->resolved = NULL;
	free(dir);
	free(target);
	return o->resolved ? 0 : ENOMEM;
}

/* Everything output_open() does but name the file a regular file's
 * output is written under (o->kind OUTPUT_FILE, o->fd -1). */
static errcode_t prepare(struct output *o, const char *path, bool overwrite,
			 const char **what)
{
	struct stat st;
	errcode_t err;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	err = follow_link(o, path, what);
	if (err)
		return err;
	if (o->resolved)
		path = o->resolved;
	o->path = path;
	o->fd = -1;
	o->overwrite = overwrite;
	if (!strcmp(path, "-")) {
		o->kind = OUTPUT_STREAM;
		o->fd = STDOUT_FILENO;
		*what = "checking standard output";
		return isatty(STDOUT_FILENO) ? ENOTTY : 0;
	}
	if (stat(path, &st) == 0) {
		*what = "checking the output";
		if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
			/* A pipe or character device: nothing is replaced. */
			*what = "opening the output";
			o->kind = OUTPUT_STREAM;
			o->fd = open(path, O_WRONLY | O_CLOEXEC);
			return o->fd < 0 ? errno : 0;
		}
		if (!overwrite)
			return EEXIST;
		if (S_ISBLK(st.st_mode)) {
			o->kind = OUTPUT_DEVICE;
			*what = "opening the output device";
			return open_device(o);
		}
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	} else if (errno != ENOENT) {
		*what = "checking the output";
		return errno;
	}
	o->kind = OUTPUT_FILE;
	return 0;
}

errcode_t output_open(struct output *o, const char *path, bool overwrite,
		      const char **what)
{
	errcode_t err = prepare(o, path, overwrite, what);

	if (err || o->kind != OUTPUT_FILE)
		return err;
	*what = "creating a temporary file beside the output";
	return make_temp(o);
}

errcode_t output_open_in_place(struct output *o, const char *path,
			       bool overwrite, const char **what)
{
	struct stat st;

	if (stat(path, &st) || !S_ISREG(st.st_mode) || !overwrite)
		return output_open(o, path, overwrite, what);
	memset(o, 0, sizeof(*o));
	o->path = path;
	o->overwrite = true;
	o->kind = OUTPUT_FILE;
	o->in_place = true;
	*what = "opening the output";
	o->fd = open(path, O_RDWR | O_CLOEXEC);
	return o->fd < 0 ? errno : 0;
}

errcode_t output_open_resumable(struct output *o, const char *path,
				bool overwrite, bool *existed,
				const char **what)
{
	errcode_t err = prepare(o, path, overwrite, what);
	struct stat st;

	*existed = false;
	if (err)
		return err;
	if (o->kind != OUTPUT_FILE) {
		*what = "opening the output";
		return ENOTSUP;
	}
	/* A fixed name, reused by the next run (no random one). */
	o->tmp_path = name_beside(o->path, "partial");
	if (!o->tmp_path)
		return ENOMEM;
	*what = "opening the partial image beside the output";
	o->fd = open(o->tmp_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (o->fd < 0 || fstat(o->fd, &st) < 0 || fchmod(o->fd, 0600) < 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	*existed = st.st_size > 0;
	o->keep_tmp = true;
	return 0;
}

/* Make the rename durable.  Filesystems that cannot sync a directory
 * say EINVAL (or are read-only to it): nothing more can be done there. */
static errcode_t sync_dir(const char *path)
{
	char *dir = output_dir_of(path);
	errcode_t err = 0;
	int fd;

	if (!dir)
		return ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
			err = errno;
		close(fd);
	}
	free(dir);
	return err;
}

errcode_t output_commit(struct output *o)
{
	errcode_t err = 0;

	if (o->kind == OUTPUT_FILE && !o->in_place) {
		if (o->overwrite) {
			if (rename(o->tmp_path, o->path) < 0)
				err = errno;
		} else if (link(o->tmp_path, o->path) == 0) {
			/* link() never replaces: a target that appeared
			 * meanwhile is kept. */
			unlink(o->tmp_path);
		} else if (errno == EPERM || errno == EOPNOTSUPP) {
			/* No hard links here (vfat): check, then rename. */
			if (access(o->path, F_OK) == 0)
				err = EEXIST;
			else if (rename(o->tmp_path, o->path) < 0)
				err = errno;
		} else {
			err = errno;
		}
		if (!err) {
			free(o->tmp_path);
			o->tmp_path = NULL;
			err = sync_dir(o->path);
		}
	}
	if (o->fd >= 0 && o->fd != STDOUT_FILENO) {
		if (close(o->fd) < 0 && !err)
			err = errno;
		o->fd = -1;
	}
	return err;
}

bool output_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino &&
	       (S_ISREG(sa.st_mode) || S_ISBLK(sa.st_mode));
}

errcode_t output_refuse_if_mounted(const char *path)
{
	struct stat st;
	int flags = 0;

	if (stat(path, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		return 0;
	/* libext2fs also finds regular files attached to loop devices. */
	if (ext2fs_check_if_mounted(path, &flags) || !(flags & EXT2_MF_MOUNTED))
		return 0;
	fprintf(stderr,
		"e2qcow: '%s' holds a mounted filesystem; refusing to write "
		"onto it\n  Unmount it first.\n",
		path);
	return EBUSY;
}

void output_abort(struct output *o)
{
	if (o->fd >= 0 && o->fd != STDOUT_FILENO)
		close(o->fd);
	o->fd = -1;
	if (o->tmp_path) {
		if (!o->keep_tmp)
			unlink(o->tmp_path);
		free(o->tmp_path);
		o->tmp_path = NULL;
	}
}

void output_free(struct output *o)
{
	output_abort(o);
	free(o->resolved);
	o->resolved = NULL;
}
