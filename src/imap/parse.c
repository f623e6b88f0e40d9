/*
 * The IMAP response parser: a byte-at-a-time state machine (with fast paths
 * over runs of plain bytes) that builds a flat node array. It never
 * recurses, never allocates from a number the server sent, and gives the
 * same result however the input is split (RFC 3501 §9 "response",
 * RFC 9051 §9).
 *
 * Leniencies (docs/DEVIATIONS.md): a bare LF ends a line like CRLF; an
 * unbalanced ")" at the top level is an atom character; lists still open
 * at the end of a line are closed there; a quoted string or "[...]" cut by
 * a line end ends there; "{n}" at the very end of status text is read as a
 * literal whose bytes join the text (a server that does this meant one).
 * Each sets resp.lenient.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "imap/imap.h"

#define DEFAULT_MAX_BYTES (1024u * 1024u)
#define DEFAULT_MAX_NODES 262144u
#define DEFAULT_MAX_DEPTH 100u
#define NO_TOKEN UINT32_MAX

enum pstate {
	PS_START,
	PS_TAG,
	PS_AFTER_MARK, /* after "*" or "+": a space, then tokens or text */
	PS_TOKENS,
	PS_ATOM,
	PS_ATOM_BRACKET,
	PS_QUOTED,
	PS_QUOTED_ESC,
	PS_TILDE,
	PS_LIT_LEN,
	PS_LIT_CLOSE,
	PS_LIT_EOL,
	PS_LIT_LF,
	PS_LIT_WAIT,
	PS_LIT_DATA,
	PS_TEXT_START, /* resp-text: spaces, then "[" code or text */
	PS_TEXT_SP,    /* after the code's "]": spaces, then text */
	PS_TEXT,
	PS_TEXT_CR,
	PS_CR,
	PS_DONE,
	PS_ERROR,
};

const char *
imap_node_kind_name(enum imap_node_kind k)
{
	static const char *const names[] = {"atom", "string", "streamed", "nil", "list"};
	return (size_t)k < QU_ARRAY_LEN(names) ? names[k] : "?";
}

const char *
imap_resp_type_name(enum imap_resp_type t)
{
	static const char *const names[] = {"untagged", "tagged", "continue"};
	return (size_t)t < QU_ARRAY_LEN(names) ? names[t] : "?";
}

const char *
imap_status_name(enum imap_status s)
{
	static const char *const names[] = {"NONE", "OK", "NO", "BAD", "PREAUTH", "BYE"};
	return (size_t)s < QU_ARRAY_LEN(names) ? names[s] : "?";
}

void
imap_parser_init(struct imap_parser *p, const struct imap_parser_limits *lim)
{
	memset(p, 0, sizeof *p);
	p->lim.max_bytes = lim && lim->max_bytes ? lim->max_bytes : DEFAULT_MAX_BYTES;
	if (p->lim.max_bytes > UINT32_MAX / 2)
		p->lim.max_bytes = UINT32_MAX / 2;
	p->lim.max_nodes = lim && lim->max_nodes ? lim->max_nodes : DEFAULT_MAX_NODES;
	p->lim.max_depth = lim && lim->max_depth ? lim->max_depth : DEFAULT_MAX_DEPTH;
	if (p->lim.max_depth > QU_ARRAY_LEN(p->stack) - 1)
		p->lim.max_depth = QU_ARRAY_LEN(p->stack) - 1;
	qu_buf_init(&p->data, p->lim.max_bytes);
	imap_parser_reset(p);
}

void
imap_parser_clear(struct imap_parser *p)
{
	qu_buf_clear(&p->data);
	free(p->nodes);
	p->nodes = NULL;
	p->cap_nodes = p->n_nodes = 0;
}

void
imap_parser_reset(struct imap_parser *p)
{
	qu_buf_reset(&p->data);
	p->n_nodes = 0;
	p->depth = 0;
	p->tok = NO_TOKEN;
	p->state = PS_START;
	p->type = IMAP_RESP_UNTAGGED;
	p->tag_len = p->text_off = 0;
	p->args = 0;
	p->code = p->code_end = 0;
	p->in_code = p->in_quote_br = p->lenient = false;
	p->lit_in_text = p->lit_binary = false;
	p->lit_size = p->lit_left = 0;
	p->ndigits = 0;
	p->err[0] = '\0';
}

bool
imap_parser_between(const struct imap_parser *p)
{
	return p->state == PS_START || p->state == PS_DONE;
}

const char *
imap_parser_error(const struct imap_parser *p)
{
	return p->err[0] ? p->err : "malformed response";
}

static enum imap_parse
fail(struct imap_parser *p, const char *why)
{
	size_t n = strlen(why);
	if (n >= sizeof p->err)
		n = sizeof p->err - 1;
	memcpy(p->err, why, n);
	p->err[n] = '\0';
	p->state = PS_ERROR;
	return IMAP_PARSE_ERROR;
}

static enum imap_parse
fail_size(struct imap_parser *p)
{
	char m[96];
	snprintf(m, sizeof m, "response longer than %zu bytes", p->lim.max_bytes);
	return fail(p, m);
}

/* Appends bytes to the response data; -1 past max_bytes. */
static int
put(struct imap_parser *p, const char *s, size_t n)
{
	return qu_buf_append(&p->data, s, n);
}

/* A new node at the current position. NO_TOKEN when max_nodes is reached. */
static uint32_t
node_new(struct imap_parser *p, enum imap_node_kind kind)
{
	if (p->n_nodes >= p->lim.max_nodes)
		return NO_TOKEN;
	if (p->n_nodes == p->cap_nodes) {
		size_t cap = p->cap_nodes;
		p->nodes = xgrow(p->nodes, &cap, (size_t)p->n_nodes + 1, sizeof *p->nodes);
		p->cap_nodes = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	}
	uint32_t i = p->n_nodes++;
	p->nodes[i] = (struct imap_node){.kind = (uint8_t)kind, .end = i + 1,
					 .off = (uint32_t)p->data.len};
	return i;
}

static bool
mem_ci(const char *a, size_t n, const char *s)
{
	return qu_mem_eq_ci(a, n, s);
}

static bool
is_status_word(const char *a, size_t n)
{
	return mem_ci(a, n, "OK") || mem_ci(a, n, "NO") || mem_ci(a, n, "BAD") ||
	       mem_ci(a, n, "PREAUTH") || mem_ci(a, n, "BYE");
}

/* A token (atom, string, literal, list) is complete. At the top level the
 * first token decides whether resp-text follows. */
static void
token_done(struct imap_parser *p, uint32_t i)
{
	p->tok = NO_TOKEN;
	if (p->depth > 0 || p->in_code)
		return;
	if (i != 0)
		return;
	struct imap_node *n = &p->nodes[i];
	const char *a = p->data.data + n->off;
	if (p->type == IMAP_RESP_TAGGED ||
	    (n->kind == IMAP_NODE_ATOM && is_status_word(a, n->len)))
		p->state = PS_TEXT_START;
}

static void
atom_end(struct imap_parser *p)
{
	uint32_t i = p->tok;
	struct imap_node *n = &p->nodes[i];
	n->len = (uint32_t)(p->data.len - n->off);
	if (n->len == 3 && mem_ci(p->data.data + n->off, 3, "NIL"))
		n->kind = IMAP_NODE_NIL;
	p->state = PS_TOKENS;
	token_done(p, i);
}

/* The line ended (LF seen) in token mode: close what is open. */
static enum imap_parse
line_end(struct imap_parser *p)
{
	if (p->depth > 0 || p->in_code) {
		p->lenient = true;
		while (p->depth > 0) {
			uint32_t li = p->stack[--p->depth];
			p->nodes[li].end = p->n_nodes;
		}
		if (p->in_code) {
			p->code_end = p->n_nodes;
			p->in_code = false;
		}
	}
	p->state = PS_DONE;
	return IMAP_PARSE_DONE;
}

static bool
atom_char(const struct imap_parser *p, unsigned char c)
{
	switch (c) {
	case ' ':
	case '(':
	case '{':
	case '"':
	case '\r':
	case '\n':
		return false;
	case ')':
		return p->depth == 0 && !p->in_code; /* lenient: a stray ")" */
	case ']':
		return !p->in_code;
	default:
		return true;
	}
}

/* Text ends with "{digits}" (a literal in resp-text: see the top). */
static bool
text_literal(struct imap_parser *p)
{
	const char *t = p->data.data + p->text_off;
	size_t n = p->data.len - p->text_off;
	if (n < 3 || t[n - 1] != '}')
		return false;
	size_t e = n - 1, b = e;
	while (b > 0 && t[b - 1] >= '0' && t[b - 1] <= '9')
		b--;
	if (b == e || b == 0 || t[b - 1] != '{' || e - b > 19)
		return false;
	uint64_t v;
	if (qu_parse_u64(t + b, e - b, UINT64_MAX, &v) < 0)
		return false;
	p->lit_size = v;
	p->lit_in_text = true;
	p->lit_binary = false;
	p->lenient = true;
	return true;
}

static enum imap_parse
open_list(struct imap_parser *p)
{
	if (p->depth >= p->lim.max_depth) {
		char m[64];
		snprintf(m, sizeof m, "lists nested more than %u deep", (unsigned)p->lim.max_depth);
		return fail(p, m);
	}
	uint32_t i = node_new(p, IMAP_NODE_LIST);
	if (i == NO_TOKEN)
		return fail(p, "too many items in one response");
	p->stack[p->depth++] = i;
	return IMAP_PARSE_MORE;
}

static void
close_list(struct imap_parser *p)
{
	uint32_t i = p->stack[--p->depth];
	p->nodes[i].end = p->n_nodes;
	token_done(p, i);
}

/* One byte in token mode. Returns MORE to go on, or a result. */
static enum imap_parse
tokens_byte(struct imap_parser *p, char c)
{
	switch (c) {
	case ' ':
		return IMAP_PARSE_MORE;
	case '\r':
		p->state = PS_CR;
		return IMAP_PARSE_MORE;
	case '\n':
		return line_end(p);
	case '(':
		return open_list(p);
	case ')':
		if (p->depth > 0) {
			close_list(p);
			return IMAP_PARSE_MORE;
		}
		break; /* a stray ")": an atom */
	case ']':
		if (p->in_code) {
			while (p->depth > 0) { /* "[X (a]": lenient */
				p->lenient = true;
				close_list(p);
			}
			p->code_end = p->n_nodes;
			p->in_code = false;
			p->state = PS_TEXT_SP;
			return IMAP_PARSE_MORE;
		}
		break;
	case '"':
		p->tok = node_new(p, IMAP_NODE_STRING);
		if (p->tok == NO_TOKEN)
			return fail(p, "too many items in one response");
		p->state = PS_QUOTED;
		return IMAP_PARSE_MORE;
	case '{':
		p->lit_binary = false;
		p->lit_size = 0;
		p->ndigits = 0;
		p->state = PS_LIT_LEN;
		return IMAP_PARSE_MORE;
	case '~':
		p->state = PS_TILDE;
		return IMAP_PARSE_MORE;
	default:
		break;
	}
	p->tok = node_new(p, IMAP_NODE_ATOM);
	if (p->tok == NO_TOKEN)
		return fail(p, "too many items in one response");
	if (c == '[' && !p->in_code) {
		if (put(p, &c, 1) < 0)
			return fail_size(p);
		p->state = PS_ATOM_BRACKET;
		p->in_quote_br = false;
		return IMAP_PARSE_MORE;
	}
	if (put(p, &c, 1) < 0)
		return fail_size(p);
	p->state = PS_ATOM;
	return IMAP_PARSE_MORE;
}

static enum imap_parse
literal_announced(struct imap_parser *p)
{
	p->state = PS_LIT_WAIT;
	return IMAP_PARSE_LITERAL;
}

/* The literal's digits, "+"/"-" and "}" (RFC 3501 §4.3, RFC 7888). */
static enum imap_parse
literal_byte(struct imap_parser *p, char c)
{
	switch (p->state) {
	case PS_TILDE:
		if (c == '{') {
			p->lit_binary = true;
			p->lit_size = 0;
			p->ndigits = 0;
			p->state = PS_LIT_LEN;
			return IMAP_PARSE_MORE;
		}
		/* "~" starting an atom */
		p->tok = node_new(p, IMAP_NODE_ATOM);
		if (p->tok == NO_TOKEN)
			return fail(p, "too many items in one response");
		if (put(p, "~", 1) < 0)
			return fail_size(p);
		p->state = PS_ATOM;
		return IMAP_PARSE_MORE; /* c is handled again by the caller */
	case PS_LIT_LEN:
		if (c >= '0' && c <= '9') {
			if (++p->ndigits > 19)
				return fail(p, "literal size too large");
			p->lit_size = p->lit_size * 10 + (uint64_t)(c - '0');
			return IMAP_PARSE_MORE;
		}
		if (!p->ndigits)
			return fail(p, "malformed literal");
		if (c == '+' || c == '-') {
			p->state = PS_LIT_CLOSE;
			return IMAP_PARSE_MORE;
		}
		/* fall through */
	case PS_LIT_CLOSE:
		if (c != '}')
			return fail(p, "malformed literal");
		p->state = PS_LIT_EOL;
		return IMAP_PARSE_MORE;
	case PS_LIT_EOL:
		if (c == '\r') {
			p->state = PS_LIT_LF;
			return IMAP_PARSE_MORE;
		}
		/* fall through */
	case PS_LIT_LF:
		if (c != '\n')
			return fail(p, "malformed literal: no line end after {n}");
		p->lit_in_text = false;
		return literal_announced(p);
	default:
		return fail(p, "parser state");
	}
}

int
imap_parser_literal_accept(struct imap_parser *p)
{
	if (p->state != PS_LIT_WAIT)
		return 0;
	if (p->lit_size > p->lim.max_bytes - p->data.len) {
		char m[128];
		snprintf(m, sizeof m, "server announced a literal of %llu bytes where none fits",
			 (unsigned long long)p->lit_size);
		fail(p, m);
		return -1;
	}
	p->lit_left = p->lit_size;
	if (!p->lit_in_text) {
		p->tok = node_new(p, IMAP_NODE_STRING);
		if (p->tok == NO_TOKEN) {
			fail(p, "too many items in one response");
			return -1;
		}
		p->nodes[p->tok].binary = p->lit_binary;
	}
	p->state = PS_LIT_DATA;
	return 0;
}

void
imap_parser_literal_skip(struct imap_parser *p)
{
	if (p->state != PS_LIT_WAIT)
		return;
	if (p->lit_in_text) {
		/* Nothing to record in text: the caller drops the bytes. */
		p->state = PS_TEXT;
		return;
	}
	uint32_t i = node_new(p, IMAP_NODE_STREAMED);
	if (i == NO_TOKEN) {
		fail(p, "too many items in one response");
		return;
	}
	p->nodes[i].off = (uint32_t)(p->lit_size >> 32);
	p->nodes[i].len = (uint32_t)p->lit_size;
	p->nodes[i].binary = p->lit_binary;
	p->state = PS_TOKENS;
	token_done(p, i);
}

void
imap_parser_literal_info(const struct imap_parser *p, struct imap_literal_info *li)
{
	memset(li, 0, sizeof *li);
	li->size = p->lit_size;
	li->binary = p->lit_binary;
	li->depth = p->depth;
	if (p->lit_in_text)
		return;
	/* The atom before the literal in the same list. */
	uint32_t first = p->depth ? p->stack[p->depth - 1] + 1 : 0, prev = NO_TOKEN;
	for (uint32_t i = first; i < p->n_nodes; i = p->nodes[i].end)
		prev = i;
	if (prev != NO_TOKEN && p->nodes[prev].kind == IMAP_NODE_ATOM) {
		li->item = p->data.data + p->nodes[prev].off;
		li->item_len = p->nodes[prev].len;
	}
	/* "* n FETCH (" */
	if (p->type == IMAP_RESP_UNTAGGED && p->depth >= 1 && p->n_nodes >= 3) {
		const struct imap_node *n0 = &p->nodes[0], *n1 = &p->nodes[n0->end];
		uint64_t num;
		if (n0->kind == IMAP_NODE_ATOM && n0->end < p->n_nodes && n1->kind == IMAP_NODE_ATOM &&
		    mem_ci(p->data.data + n1->off, n1->len, "FETCH") &&
		    qu_parse_u64(p->data.data + n0->off, n0->len, UINT32_MAX, &num) == 0) {
			li->in_fetch = true;
			li->num = (uint32_t)num;
		}
	}
}

/* Length of the run of atom characters at s. */
static size_t
atom_run(const struct imap_parser *p, const char *s, size_t n)
{
	size_t k = 0;
	while (k < n && atom_char(p, (unsigned char)s[k]) && s[k] != '[')
		k++;
	return k;
}

/* Each st_* handles the byte at s[*k] (and, on a fast path, a run of
 * them) in one state, advancing *k over what it consumed. */

static enum imap_parse
st_start(struct imap_parser *p, char c, size_t *k)
{
	if (c == '*' || c == '+') {
		p->type = c == '*' ? IMAP_RESP_UNTAGGED : IMAP_RESP_CONTINUE;
		if (put(p, &c, 1) < 0)
			return fail_size(p);
		p->tag_len = 1;
		p->state = PS_AFTER_MARK;
		(*k)++;
		return IMAP_PARSE_MORE;
	}
	if (c == ' ' || c == '\r' || c == '\n')
		return fail(p, "response without a tag");
	p->type = IMAP_RESP_TAGGED;
	p->state = PS_TAG;
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_tag(struct imap_parser *p, const char *s, size_t n, size_t *k)
{
	size_t run = 0;
	while (*k + run < n && s[*k + run] != ' ' && s[*k + run] != '\r' && s[*k + run] != '\n')
		run++;
	if (put(p, s + *k, run) < 0)
		return fail_size(p);
	p->tag_len += run;
	*k += run;
	if (*k < n) {
		if (s[*k] != ' ')
			return fail(p, "tagged response without a status");
		(*k)++;
		p->state = PS_TOKENS;
	}
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_after_mark(struct imap_parser *p, char c, size_t *k)
{
	if (p->type == IMAP_RESP_CONTINUE) {
		/* "+" SP resp-text; some servers send a bare "+". */
		p->state = PS_TEXT_START;
		if (c == ' ')
			(*k)++;
		return IMAP_PARSE_MORE;
	}
	if (c != ' ')
		p->lenient = true;
	else
		(*k)++;
	p->state = PS_TOKENS;
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_atom(struct imap_parser *p, const char *s, size_t n, size_t *k)
{
	char c = s[*k];
	size_t run = atom_run(p, s + *k, n - *k);
	if (run) {
		if (put(p, s + *k, run) < 0)
			return fail_size(p);
		*k += run;
		return IMAP_PARSE_MORE;
	}
	if (c == '[' && !p->in_code) {
		if (put(p, &c, 1) < 0)
			return fail_size(p);
		(*k)++;
		p->in_quote_br = false;
		p->state = PS_ATOM_BRACKET;
		return IMAP_PARSE_MORE;
	}
	atom_end(p); /* c is handled in the new state */
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_atom_bracket(struct imap_parser *p, char c, size_t *k)
{
	if (c == '\r' || c == '\n') {
		p->lenient = true;
		atom_end(p);
		return IMAP_PARSE_MORE;
	}
	if (put(p, &c, 1) < 0)
		return fail_size(p);
	(*k)++;
	if (c == '"')
		p->in_quote_br = !p->in_quote_br;
	else if (c == ']' && !p->in_quote_br)
		p->state = PS_ATOM;
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_quoted(struct imap_parser *p, const char *s, size_t n, size_t *k)
{
	char c = s[*k];
	size_t run = 0;
	while (*k + run < n && s[*k + run] != '"' && s[*k + run] != '\\' && s[*k + run] != '\r' &&
	       s[*k + run] != '\n')
		run++;
	if (run) {
		if (put(p, s + *k, run) < 0)
			return fail_size(p);
		*k += run;
		return IMAP_PARSE_MORE;
	}
	if (c == '\\') {
		(*k)++;
		p->state = PS_QUOTED_ESC;
		return IMAP_PARSE_MORE;
	}
	uint32_t i = p->tok;
	p->nodes[i].len = (uint32_t)(p->data.len - p->nodes[i].off);
	p->state = PS_TOKENS;
	if (c == '"')
		(*k)++;
	else
		p->lenient = true; /* cut by the line end */
	token_done(p, i);
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_quoted_esc(struct imap_parser *p, char c, size_t *k)
{
	if (c == '\r' || c == '\n') {
		p->lenient = true;
		p->state = PS_QUOTED;
		return IMAP_PARSE_MORE;
	}
	if (put(p, &c, 1) < 0)
		return fail_size(p);
	(*k)++;
	p->state = PS_QUOTED;
	return IMAP_PARSE_MORE;
}

static enum imap_parse
st_literal_data(struct imap_parser *p, const char *s, size_t n, size_t *k)
{
	size_t take = n - *k;
	if ((uint64_t)take > p->lit_left)
		take = (size_t)p->lit_left;
	if (put(p, s + *k, take) < 0)
		return fail_size(p);
	*k += take;
	p->lit_left -= take;
	if (p->lit_left == 0) {
		if (p->lit_in_text) {
			p->state = PS_TEXT;
		} else {
			p->nodes[p->tok].len = (uint32_t)(p->data.len - p->nodes[p->tok].off);
			p->state = PS_TOKENS;
			token_done(p, p->tok);
		}
	}
	return IMAP_PARSE_MORE;
}

/* resp-text: spaces, then with allow_code a "[" code, then the text. */
static enum imap_parse
st_text_start(struct imap_parser *p, char c, size_t *k, bool allow_code)
{
	if (c == ' ') {
		(*k)++;
		return IMAP_PARSE_MORE;
	}
	if (c == '[' && allow_code) {
		(*k)++;
		p->in_code = true;
		p->code = p->n_nodes;
		p->state = PS_TOKENS;
		return IMAP_PARSE_MORE;
	}
	p->text_off = p->data.len;
	p->state = PS_TEXT;
	return IMAP_PARSE_MORE;
}

/* The text's line ended; "{n}" at its end announces a literal. */
static enum imap_parse
text_line_end(struct imap_parser *p)
{
	if (text_literal(p))
		return literal_announced(p);
	p->state = PS_DONE;
	return IMAP_PARSE_DONE;
}

static enum imap_parse
st_text(struct imap_parser *p, const char *s, size_t n, size_t *k)
{
	char c = s[*k];
	size_t run = 0;
	while (*k + run < n && s[*k + run] != '\r' && s[*k + run] != '\n')
		run++;
	if (run) {
		if (put(p, s + *k, run) < 0)
			return fail_size(p);
		*k += run;
		return IMAP_PARSE_MORE;
	}
	(*k)++;
	if (c == '\r') {
		p->state = PS_TEXT_CR;
		return IMAP_PARSE_MORE;
	}
	return text_line_end(p);
}

static enum imap_parse
st_text_cr(struct imap_parser *p, char c, size_t *k)
{
	if (c != '\n') {
		/* A lone CR inside text: keep it as text. */
		p->lenient = true;
		if (put(p, "\r", 1) < 0)
			return fail_size(p);
		p->state = PS_TEXT;
		return IMAP_PARSE_MORE;
	}
	(*k)++;
	return text_line_end(p);
}

static enum imap_parse
st_cr(struct imap_parser *p, char c, size_t *k)
{
	if (c == '\n') {
		(*k)++;
		return line_end(p);
	}
	p->lenient = true; /* a lone CR between tokens */
	p->state = PS_TOKENS;
	return IMAP_PARSE_MORE;
}

static enum imap_parse
step(struct imap_parser *p, const char *s, size_t n, size_t *k)
{
	char c = s[*k];
	enum imap_parse r;
	switch (p->state) {
	case PS_START:
		return st_start(p, c, k);
	case PS_TAG:
		return st_tag(p, s, n, k);
	case PS_AFTER_MARK:
		return st_after_mark(p, c, k);
	case PS_TOKENS:
		(*k)++;
		return tokens_byte(p, c);
	case PS_ATOM:
		return st_atom(p, s, n, k);
	case PS_ATOM_BRACKET:
		return st_atom_bracket(p, c, k);
	case PS_QUOTED:
		return st_quoted(p, s, n, k);
	case PS_QUOTED_ESC:
		return st_quoted_esc(p, c, k);
	case PS_TILDE:
		r = literal_byte(p, c);
		if (p->state != PS_ATOM) /* "~" began an atom: c is read again */
			(*k)++;
		return r;
	case PS_LIT_LEN:
	case PS_LIT_CLOSE:
	case PS_LIT_EOL:
	case PS_LIT_LF:
		(*k)++;
		return literal_byte(p, c);
	case PS_LIT_WAIT:
		/* Fed on without a decision: the bytes belong to the response. */
		return imap_parser_literal_accept(p) < 0 ? IMAP_PARSE_ERROR : IMAP_PARSE_MORE;
	case PS_LIT_DATA:
		return st_literal_data(p, s, n, k);
	case PS_TEXT_START:
		return st_text_start(p, c, k, true);
	case PS_TEXT_SP:
		return st_text_start(p, c, k, false);
	case PS_TEXT:
		return st_text(p, s, n, k);
	case PS_TEXT_CR:
		return st_text_cr(p, c, k);
	case PS_CR:
		return st_cr(p, c, k);
	case PS_DONE:
	case PS_ERROR:
	default:
		return fail(p, "parser state");
	}
}

enum imap_parse
imap_parser_feed(struct imap_parser *p, const char *data, size_t n, size_t *used)
{
	size_t k = 0;
	enum imap_parse r = IMAP_PARSE_MORE;
	if (p->state == PS_ERROR) {
		*used = 0;
		return IMAP_PARSE_ERROR;
	}
	if (p->state == PS_DONE)
		imap_parser_reset(p);
	while (k < n) {
		r = step(p, data, n, &k);
		if (r != IMAP_PARSE_MORE)
			break;
	}
	*used = k;
	if (r == IMAP_PARSE_MORE && p->state == PS_LIT_WAIT)
		r = IMAP_PARSE_LITERAL; /* announced at the very end of the input */
	return r;
}

void
imap_parser_response(const struct imap_parser *p, struct imap_resp *r)
{
	memset(r, 0, sizeof *r);
	r->type = p->type;
	r->data = p->data.data ? p->data.data : "";
	r->tag = r->data;
	r->tag_len = p->tag_len;
	r->nodes = p->nodes;
	r->lenient = p->lenient;
	r->code = r->code_end = p->code_end > p->code ? p->code : 0;
	if (p->code_end > p->code)
		r->code_end = p->code_end;
	if (p->text_off && p->text_off <= p->data.len) {
		r->text = r->data + p->text_off;
		r->text_len = p->data.len - p->text_off;
	} else {
		r->text = "";
	}
	uint32_t n = p->n_nodes, limit = r->code != r->code_end ? r->code : n;
	if (p->type == IMAP_RESP_CONTINUE || n == 0) {
		r->args = r->args_end = limit;
		return;
	}
	uint32_t kw = 0;
	const struct imap_node *n0 = &p->nodes[0];
	uint64_t num;
	if (p->type == IMAP_RESP_UNTAGGED && n0->kind == IMAP_NODE_ATOM && n0->end < limit &&
	    qu_parse_u64(r->data + n0->off, n0->len, UINT32_MAX, &num) == 0) {
		r->has_num = true;
		r->num = (uint32_t)num;
		kw = n0->end;
	}
	const struct imap_node *k = &p->nodes[kw];
	if (k->kind == IMAP_NODE_ATOM) {
		r->kw = r->data + k->off;
		r->kw_len = k->len;
		r->args = k->end;
	} else {
		r->kw = "";
		r->args = kw;
	}
	if (r->args > limit)
		r->args = limit;
	r->args_end = limit;
	if (!r->has_num) {
		static const struct {
			const char *w;
			enum imap_status s;
		} st[] = {{"OK", IMAP_STATUS_OK},
			  {"NO", IMAP_STATUS_NO},
			  {"BAD", IMAP_STATUS_BAD},
			  {"PREAUTH", IMAP_STATUS_PREAUTH},
			  {"BYE", IMAP_STATUS_BYE}};
		for (size_t i = 0; i < QU_ARRAY_LEN(st); i++)
			if (mem_ci(r->kw, r->kw_len, st[i].w))
				r->status = st[i].s;
	}
}

const char *
imap_node_bytes(const struct imap_resp *r, uint32_t i, size_t *len)
{
	const struct imap_node *n = &r->nodes[i];
	if (n->kind != IMAP_NODE_ATOM && n->kind != IMAP_NODE_STRING) {
		*len = 0;
		return NULL;
	}
	*len = n->len;
	return r->data + n->off;
}

bool
imap_node_is(const struct imap_resp *r, uint32_t i, const char *s)
{
	const struct imap_node *n = &r->nodes[i];
	return n->kind == IMAP_NODE_ATOM && mem_ci(r->data + n->off, n->len, s);
}

int
imap_node_u64(const struct imap_resp *r, uint32_t i, uint64_t max, uint64_t *out)
{
	const struct imap_node *n = &r->nodes[i];
	if (n->kind != IMAP_NODE_ATOM)
		return -1;
	return qu_parse_u64(r->data + n->off, n->len, max, out);
}

char *
imap_node_dup(const struct imap_resp *r, uint32_t i, size_t *len)
{
	size_t n;
	const char *b = imap_node_bytes(r, i, &n);
	if (len)
		*len = n;
	if (!b)
		return NULL;
	char *s = xmalloc(n + 1);
	memcpy(s, b, n);
	s[n] = '\0';
	return s;
}

bool
imap_resp_code_is(const struct imap_resp *r, const char *name)
{
	return r->code != r->code_end && imap_node_is(r, r->code, name);
}
