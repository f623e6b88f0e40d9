/*
 * Builds TNEF streams for tests (MS-OXTNEF §2.1.3): the signature and a
 * key, then attributes of level, id, length, data and a checksum that is
 * the sum of the data bytes modulo 65536.
 */
#ifndef QUAIL_TEST_TNEF_GEN_H
#define QUAIL_TEST_TNEF_GEN_H

#include <stdint.h>
#include <string.h>

#include "util/util.h"

static inline void
tnef_gen_le(struct qu_buf *b, uint32_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		qu_buf_append_byte(b, (char)(v >> (8 * i)));
}

static inline void
tnef_gen_attr(struct qu_buf *b, uint8_t level, uint32_t id, const void *data, uint32_t len)
{
	qu_buf_append_byte(b, (char)level);
	tnef_gen_le(b, id, 4);
	tnef_gen_le(b, len, 4);
	qu_buf_append(b, data, len);
	uint16_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint16_t)(sum + ((const unsigned char *)data)[i]);
	tnef_gen_le(b, sum, 2);
}

static inline void
tnef_gen_start(struct qu_buf *b)
{
	tnef_gen_le(b, 0x223E9F78u, 4);
	tnef_gen_le(b, 0x1234, 2);
	/* attTnefVersion, then attMessageClass "IPM.Microsoft Mail.Note". */
	static const char ver[4] = {0x00, 0x00, 0x01, 0x00};
	tnef_gen_attr(b, 1, 0x00089006u, ver, 4);
	static const char cls[] = "IPM.Microsoft Mail.Note";
	tnef_gen_attr(b, 1, 0x00078008u, cls, sizeof cls);
}

/* One attachment: rendering data (which starts it), title, data. */
static inline void
tnef_gen_file(struct qu_buf *b, const char *name, const void *data, uint32_t len)
{
	static const unsigned char rend[14] = {1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
	tnef_gen_attr(b, 2, 0x00069002u, rend, sizeof rend);
	tnef_gen_attr(b, 2, 0x00018010u, name, (uint32_t)strlen(name) + 1);
	tnef_gen_attr(b, 2, 0x0006800Fu, data, len);
}

#endif
