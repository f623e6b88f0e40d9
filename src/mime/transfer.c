/*
 * Content-Transfer-Encoding (RFC 2045 §6): the value, the identity
 * decoder, the dispatching decoder, and the output helpers the decoders
 * share.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "mime/mime.h"
#include "mime/private.h"

char *
mime_out_begin(struct qu_buf *out, size_t n, char **tmp)
{
	char *p = qu_buf_reserve(out, n);
	*tmp = NULL;
	if (p)
		return p;
	/* Near the cap the worst case may not fit although the real output
	 * does: decode aside, then append what came out. */
	*tmp = xmalloc(n ? n : 1);
	return *tmp;
}

int
mime_out_full(struct qu_buf *out, struct qu_err *err)
{
	return qu_err_set(err, QU_E_DATA, "decoded data larger than %zu bytes", out->max);
}

int
mime_out_commit(struct qu_buf *out, char *tmp, size_t k, struct qu_err *err)
{
	if (!tmp) {
		qu_buf_commit(out, k);
		return 0;
	}
	int r = qu_buf_append(out, tmp, k);
	free(tmp);
	return r < 0 ? mime_out_full(out, err) : 0;
}

static const char *const cte_names[] = {
	[MIME_CTE_7BIT] = "7bit",
	[MIME_CTE_8BIT] = "8bit",
	[MIME_CTE_BINARY] = "binary",
	[MIME_CTE_QP] = "quoted-printable",
	[MIME_CTE_BASE64] = "base64",
	[MIME_CTE_UUENCODE] = "x-uuencode",
	[MIME_CTE_UNKNOWN] = "unknown",
};

const char *
mime_cte_name(enum mime_cte cte)
{
	if ((unsigned)cte >= QU_ARRAY_LEN(cte_names))
		return "unknown";
	return cte_names[cte];
}

static const struct {
	const char *name;
	enum mime_cte cte;
} cte_table[] = {
	{"7bit", MIME_CTE_7BIT},
	{"8bit", MIME_CTE_8BIT},
	{"binary", MIME_CTE_BINARY},
	{"quoted-printable", MIME_CTE_QP},
	{"base64", MIME_CTE_BASE64},
	{"x-uuencode", MIME_CTE_UUENCODE},
	{"uuencode", MIME_CTE_UUENCODE},
	{"x-uue", MIME_CTE_UUENCODE},
	{"uue", MIME_CTE_UUENCODE},
};

enum mime_cte
mime_cte_parse(const char *p, size_t n, struct mime_defects *d)
{
	size_t i = 0;
	/* Leading white space and comments, then an optional quote. */
	for (;;) {
		while (i < n && mime_is_ws(p[i]))
			i++;
		if (i < n && p[i] == '(') {
			while (i < n && p[i] != ')')
				i++;
			if (i < n)
				i++;
			continue;
		}
		break;
	}
	if (i < n && p[i] == '"')
		i++;
	size_t s = i;
	while (i < n && !mime_is_ws(p[i]) && p[i] != '"' && p[i] != ';' && p[i] != '(')
		i++;
	if (i == s)
		return MIME_CTE_7BIT;
	for (size_t k = 0; k < QU_ARRAY_LEN(cte_table); k++)
		if (qu_mem_eq_ci(p + s, i - s, cte_table[k].name))
			return cte_table[k].cte;
	mime_defect(d, MIME_DEFECT_CTE_UNKNOWN, s);
	return MIME_CTE_UNKNOWN;
}

void
mime_decoder_init(struct mime_decoder *dec, enum mime_cte cte)
{
	dec->cte = cte;
	switch (cte) {
	case MIME_CTE_BASE64:
		mime_b64_init(&dec->u.b64);
		break;
	case MIME_CTE_QP:
		mime_qp_init(&dec->u.qp);
		break;
	case MIME_CTE_UUENCODE:
		mime_uu_init(&dec->u.uu);
		break;
	default:
		dec->u.off = 0;
		break;
	}
}

int
mime_decoder_feed(struct mime_decoder *dec, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	switch (dec->cte) {
	case MIME_CTE_BASE64:
		return mime_b64_feed(&dec->u.b64, p, n, out, d, err);
	case MIME_CTE_QP:
		return mime_qp_feed(&dec->u.qp, p, n, out, d, err);
	case MIME_CTE_UUENCODE:
		return mime_uu_feed(&dec->u.uu, p, n, out, d, err);
	default:
		dec->u.off += n;
		if (qu_buf_append(out, p, n) < 0)
			return mime_out_full(out, err);
		return 0;
	}
}

int
mime_decoder_finish(struct mime_decoder *dec, struct qu_buf *out, struct mime_defects *d,
	struct qu_err *err)
{
	switch (dec->cte) {
	case MIME_CTE_BASE64:
		return mime_b64_finish(&dec->u.b64, out, d, err);
	case MIME_CTE_QP:
		return mime_qp_finish(&dec->u.qp, out, d, err);
	case MIME_CTE_UUENCODE:
		return mime_uu_finish(&dec->u.uu, out, d, err);
	default:
		return 0;
	}
}

int
mime_decode(enum mime_cte cte, const char *p, size_t n, struct qu_buf *out,
	struct mime_defects *d, struct qu_err *err)
{
	struct mime_decoder dec;
	mime_decoder_init(&dec, cte);
	if (mime_decoder_feed(&dec, p, n, out, d, err) < 0)
		return -1;
	return mime_decoder_finish(&dec, out, d, err);
}
