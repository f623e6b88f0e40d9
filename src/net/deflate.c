/*
 * COMPRESS=DEFLATE (RFC 4978): a transport layered over the current one
 * (plain or TLS) that inflates what is read and deflates what is written,
 * with a sync flush at every net_flush so each command leaves at once.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/util.h"
#include "net/private.h"

#define ZBUF (64 * 1024)

struct net_deflate {
	const struct net_transport *inner;
	z_stream in, out;
	unsigned char *ibuf; /* compressed bytes read, not yet inflated */
	size_t icap;
	unsigned char *obuf; /* compressed bytes to write */
	bool in_end;         /* the server ended its stream */
	bool out_full;       /* the last inflate filled its output: more may wait */
	/* Inflated by net_deflate_pending to learn whether anything is
	 * there, not yet read: z_read hands it out first. */
	unsigned char peek[4096];
	size_t peek_off, peek_len;
};

static ssize_t
z_read(struct net_conn *c, void *p, size_t n, struct qu_err *err)
{
	struct net_deflate *z = c->z;
	if (z->peek_off < z->peek_len) {
		size_t k = z->peek_len - z->peek_off < n ? z->peek_len - z->peek_off : n;
		memcpy(p, z->peek + z->peek_off, k);
		z->peek_off += k;
		return (ssize_t)k;
	}
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	for (;;) {
		if (z->in_end)
			return 0;
		z->in.next_out = p;
		z->in.avail_out = (uInt)n;
		int zr = inflate(&z->in, Z_SYNC_FLUSH);
		size_t got = n - z->in.avail_out;
		z->out_full = z->in.avail_out == 0;
		if (zr == Z_STREAM_END)
			z->in_end = true;
		if (got)
			return (ssize_t)got;
		if (zr != Z_OK && zr != Z_BUF_ERROR && zr != Z_STREAM_END)
			return qu_err_set(err, QU_E_TEMPFAIL, "decompressing the server's data: %s",
					  z->in.msg ? z->in.msg : "corrupt stream");
		if (z->in.avail_in)
			continue; /* progress without output (e.g. a flush marker) */
		ssize_t r = z->inner->read(c, z->ibuf, z->icap, err);
		if (r <= 0)
			return r;
		z->in.next_in = z->ibuf;
		z->in.avail_in = (uInt)r;
	}
}

static int
write_all(struct net_conn *c, struct net_deflate *z, size_t n, struct qu_err *err)
{
	size_t off = 0;
	while (off < n) {
		ssize_t r = z->inner->write(c, z->obuf + off, n - off, err);
		if (r < 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

static ssize_t
z_write(struct net_conn *c, const void *p, size_t n, struct qu_err *err)
{
	struct net_deflate *z = c->z;
	size_t done = 0;
	/* Everything given goes out now: net_flush hands over its whole buffer. */
	while (done < n) {
		size_t k = n - done > ZBUF ? ZBUF : n - done;
		z->out.next_in = (unsigned char *)(uintptr_t)((const char *)p + done);
		z->out.avail_in = (uInt)k;
		do {
			z->out.next_out = z->obuf;
			z->out.avail_out = ZBUF;
			int zr = deflate(&z->out, Z_SYNC_FLUSH);
			if (zr != Z_OK && zr != Z_BUF_ERROR)
				return qu_err_set(err, QU_E_SOFTWARE, "compressing: %s",
						  z->out.msg ? z->out.msg : "deflate failed");
			if (write_all(c, z, ZBUF - z->out.avail_out, err) < 0)
				return -1;
		} while (z->out.avail_out == 0);
		done += k;
	}
	return (ssize_t)n;
}

static void
z_close(struct net_conn *c)
{
	struct net_deflate *z = c->z;
	if (!z)
		return;
	z->inner->close(c);
	inflateEnd(&z->in);
	deflateEnd(&z->out);
	free(z->ibuf);
	free(z->obuf);
	free(z);
	c->z = NULL;
}

static const struct net_transport deflate_transport = {
	.name = "deflate",
	.read = z_read,
	.write = z_write,
	.close = z_close,
};

int
net_compress_start(struct net_conn *c, struct qu_err *err)
{
	if (c->z)
		return qu_err_set(err, QU_E_SOFTWARE, "compression already started");
	if (net_flush(c, err) < 0)
		return -1;
	struct net_deflate *z = xcalloc(1, sizeof *z);
	if (inflateInit2(&z->in, -15) != Z_OK) {
		free(z);
		return qu_err_set(err, QU_E_SOFTWARE, "zlib: cannot start inflate");
	}
	/* Level 1: what a client sends is commands; speed matters more. */
	if (deflateInit2(&z->out, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		inflateEnd(&z->in);
		free(z);
		return qu_err_set(err, QU_E_SOFTWARE, "zlib: cannot start deflate");
	}
	/* What the server sent after its OK, already read, is compressed. */
	size_t have = c->rend - c->rstart;
	z->icap = have > ZBUF ? have : ZBUF;
	z->ibuf = xmalloc(z->icap);
	z->obuf = xmalloc(ZBUF);
	memcpy(z->ibuf, c->rbuf + c->rstart, have);
	z->in.next_in = z->ibuf;
	z->in.avail_in = (uInt)have;
	c->rstart = c->rend = 0;
	z->inner = c->tr;
	c->z = z;
	c->tr = &deflate_transport;
	qu_trace_note(c->trace, "COMPRESS=DEFLATE started");
	return 0;
}

bool
net_conn_is_compressed(const struct net_conn *c)
{
	return c->z != NULL;
}

bool
net_deflate_pending(struct net_conn *c)
{
	struct net_deflate *z = c->z;
	if (!z || z->in_end)
		return false;
	if (z->peek_off < z->peek_len)
		return true;
	if (!z->in.avail_in && !z->out_full)
		return false;
	/* Input not yet inflated may hold nothing but a flush marker, and a
	 * full output may have been all there was: inflate some to know,
	 * and keep it for z_read. */
	z->peek_off = z->peek_len = 0;
	z->in.next_out = z->peek;
	z->in.avail_out = sizeof z->peek;
	int zr = inflate(&z->in, Z_SYNC_FLUSH);
	z->peek_len = sizeof z->peek - z->in.avail_out;
	z->out_full = z->in.avail_out == 0;
	if (zr == Z_STREAM_END)
		z->in_end = true;
	/* An error is for the next read to report: readable. */
	return z->peek_len > 0 || (zr != Z_OK && zr != Z_BUF_ERROR);
}
