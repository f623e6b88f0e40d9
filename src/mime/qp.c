/*
 * quoted-printable transfer decoding (RFC 2045 §6.7).
 *
 * A byte-driven state machine, so that a chunk may end anywhere (between
 * '=' and its hex digits, inside trailing white space, between CR and LF)
 * and the result does not depend on where the chunks end.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

enum qp_state {
	QP_TEXT,   /* ordinary text; s->ws may hold white space */
	QP_CR,     /* CR seen, LF may follow */
	QP_EQ,     /* '=' seen */
	QP_EQ_HEX, /* '=' and one hex digit (s->hex1) seen */
	QP_EQ_WS,  /* '=' then white space (in s->ws): a soft break if a line end follows */
	QP_EQ_CR,  /* '=' [white space] CR */
};

enum {
	SEEN_BAD = 1,
};

/* Bytes that leave the fast path of QP_TEXT. */
static const unsigned char qp_special[256] = {
	['='] = 1, [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1,
};

void
mime_qp_init(struct mime_qp *s)
{
	memset(s, 0, sizeof *s);
	s->state = QP_TEXT;
}

static size_t
flush_ws(struct mime_qp *s, char *o)
{
	size_t k = s->nws;
	if (k)
		memcpy(o, s->ws, k);
	s->nws = 0;
	return k;
}

/* A bad escape: '=' and what followed it are kept as they are (SPEC §7). */
static size_t
bad_escape(struct mime_qp *s, char *o, struct mime_defects *d, size_t off)
{
	mime_defect_once(d, &s->seen, SEEN_BAD, MIME_DEFECT_QP_BAD_ESCAPE, off);
	o[0] = '=';
	size_t k = 1;
	if (s->state == QP_EQ_HEX)
		o[k++] = s->hex1;
	k += flush_ws(s, o + k);
	if (s->state == QP_EQ_CR)
		o[k++] = '\r';
	s->state = QP_TEXT;
	return k;
}

/* One step in QP_TEXT for a special byte c. */
static size_t
text_special(struct mime_qp *s, unsigned char c, char *o)
{
	size_t k = 0;
	switch (c) {
	case '=':
		k = flush_ws(s, o);
		s->state = QP_EQ;
		break;
	case '\n':
		/* White space at a line end is deleted (RFC 2045 §6.7 rule 3). */
		s->nws = 0;
		o[k++] = '\n';
		break;
	case '\r':
		s->state = QP_CR;
		break;
	default:
		if (s->nws == MIME_QP_WS_MAX)
			k = flush_ws(s, o);
		s->ws[s->nws++] = (char)c;
		break;
	}
	return k;
}

/* One step of the states after '=' and CR. Returns false when c must be
 * looked at again in the new state. */
static bool
step_other(struct mime_qp *s, unsigned char c, char *o, size_t *k, struct mime_defects *d,
	size_t off)
{
	int h = qu_hex_val((char)c);
	switch (s->state) {
	case QP_CR:
		if (c == '\n') {
			s->nws = 0;
			o[(*k)++] = '\r';
			o[(*k)++] = '\n';
			s->state = QP_TEXT;
			return true;
		}
		/* A lone CR is data. */
		*k += flush_ws(s, o + *k);
		o[(*k)++] = '\r';
		s->state = QP_TEXT;
		return false;
	case QP_EQ:
		if (h >= 0) {
			s->hex1 = (char)c;
			s->state = QP_EQ_HEX;
		} else if (mime_is_wsp((char)c)) {
			s->ws[s->nws++] = (char)c;
			s->state = QP_EQ_WS;
		} else if (c == '\n') {
			s->state = QP_TEXT; /* soft line break */
		} else if (c == '\r') {
			s->state = QP_EQ_CR;
		} else {
			*k += bad_escape(s, o + *k, d, off);
			return false;
		}
		return true;
	case QP_EQ_HEX:
		if (h < 0) {
			*k += bad_escape(s, o + *k, d, off);
			return false;
		}
		o[(*k)++] = (char)((qu_hex_val(s->hex1) << 4) | h);
		s->state = QP_TEXT;
		return true;
	case QP_EQ_WS:
		if (mime_is_wsp((char)c) && s->nws < MIME_QP_WS_MAX) {
			s->ws[s->nws++] = (char)c;
			return true;
		}
		if (c == '\n') {
			s->nws = 0;
			s->state = QP_TEXT;
			return true;
		}
		if (c == '\r') {
			s->state = QP_EQ_CR;
			return true;
		}
		*k += bad_escape(s, o + *k, d, off);
		return false;
	case QP_EQ_CR:
		if (c == '\n') {
			s->nws = 0;
			s->state = QP_TEXT;
			return true;
		}
		*k += bad_escape(s, o + *k, d, off);
		return false;
	}
	return true;
}

static size_t
qp_run(struct mime_qp *s, const unsigned char *p, size_t n, char *o, struct mime_defects *d)
{
	size_t k = 0;
	size_t i = 0;
	while (i < n) {
		if (s->state != QP_TEXT) {
			if (step_other(s, p[i], o, &k, d, s->off + i))
				i++;
			continue;
		}
		if ((p[i] == ' ' || p[i] == '\t') && s->nws == 0) {
			/* White space that text follows in this chunk is kept:
			 * copy it now rather than byte by byte. */
			size_t j = i + 1;
			while (j < n && (p[j] == ' ' || p[j] == '\t'))
				j++;
			if (j < n && p[j] != '\r' && p[j] != '\n') {
				memcpy(o + k, p + i, j - i);
				k += j - i;
				i = j;
				continue;
			}
		}
		if (qp_special[p[i]]) {
			k += text_special(s, p[i], o + k);
			i++;
			continue;
		}
		size_t j = i + 1;
		while (j < n && !qp_special[p[j]])
			j++;
		k += flush_ws(s, o + k);
		memcpy(o + k, p + i, j - i);
		k += j - i;
		i = j;
	}
	return k;
}

int
mime_qp_feed(struct mime_qp *s, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	if (n == 0)
		return 0;
	char *tmp;
	/* Output never passes the input plus what was pending before it. */
	char *o = mime_out_begin(out, n + MIME_QP_WS_MAX + 4, &tmp);
	size_t k = qp_run(s, (const unsigned char *)p, n, o, d);
	s->off += n;
	return mime_out_commit(out, tmp, k, err);
}

int
mime_qp_finish(struct mime_qp *s, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err)
{
	char o[MIME_QP_WS_MAX + 4];
	size_t k = 0;
	switch (s->state) {
	case QP_CR:
		k = flush_ws(s, o);
		o[k++] = '\r';
		break;
	case QP_EQ_HEX:
		k = bad_escape(s, o, d, s->off);
		break;
	default:
		/* The last line end of a body belongs to the boundary (RFC 2046
		 * §5.1.1), so the end of the data is a line end: trailing white
		 * space goes and a final '=' is a soft line break. */
		break;
	}
	s->nws = 0;
	s->state = QP_TEXT;
	if (k && qu_buf_append(out, o, k) < 0)
		return mime_out_full(out, err);
	return 0;
}
