/*
 * The [ui] keys of writing mail (SPEC §8): attribution, forward_format,
 * mime_forward, drafts, record. config/ keeps [ui] as written; the checks
 * are here so that a bad value is reported with its file and line like
 * every other key.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "app/app.h"

static const char *const keys[] = {"attribution", "forward_format", "mime_forward", "drafts",
				   "record"};

bool
app_compose_ui_key(const char *key)
{
	for (size_t i = 0; i < QU_ARRAY_LEN(keys); i++)
		if (strcasecmp(key, keys[i]) == 0)
			return true;
	return false;
}

void
app_compose_settings_init(struct app_compose_settings *s)
{
	s->attribution = xstrdup("On %d, %n wrote:");
	s->forward_format = xstrdup("Fwd: %s");
	s->mime_forward = APP_MIME_FORWARD_NO;
	s->drafts = xstrdup("=Drafts");
	s->record = xstrdup("=Sent");
}

void
app_compose_settings_clear(struct app_compose_settings *s)
{
	free(s->attribution);
	free(s->forward_format);
	free(s->drafts);
	free(s->record);
	memset(s, 0, sizeof *s);
}

/* mutt's % codes that quail knows: %d %n %a %s and %%. */
static bool
format_ok(const char *v)
{
	for (const char *c = v; *c; c++) {
		if (*c != '%')
			continue;
		c++;
		if (!*c || !strchr("dnas%", *c))
			return false;
	}
	return true;
}

static bool
has_control(const char *v)
{
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
			return true;
	return false;
}

static int
one(struct app_compose_settings *s, const struct cfg *c, const struct cfg_ui_setting *u,
    struct qu_err *err)
{
	const char *k = u->key, *v = u->value, *why = NULL;
	char **field = NULL;
	if (has_control(v))
		why = "control characters in";
	else if (!strcasecmp(k, "attribution") || !strcasecmp(k, "forward_format")) {
		field = !strcasecmp(k, "attribution") ? &s->attribution : &s->forward_format;
		if (!format_ok(v))
			why = "a format with % codes %d %n %a %s %% only, not";
	} else if (!strcasecmp(k, "mime_forward")) {
		if (!strcasecmp(v, "yes"))
			s->mime_forward = APP_MIME_FORWARD_YES;
		else if (!strcasecmp(v, "no"))
			s->mime_forward = APP_MIME_FORWARD_NO;
		else if (!strcasecmp(v, "ask"))
			s->mime_forward = APP_MIME_FORWARD_ASK;
		else
			why = "mime_forward must be yes, no or ask, not";
	} else {
		field = !strcasecmp(k, "drafts") ? &s->drafts : &s->record;
	}
	if (why)
		return qu_err_set(err, QU_E_CONFIG, "%s:%d: %s '%s' in [ui]",
				  c->path ? c->path : "config", u->line, why, v);
	if (field) {
		free(*field);
		*field = xstrdup(v);
	}
	return 0;
}

int
app_compose_settings_load(const struct cfg *c, struct app_compose_settings *s, struct qu_err *err)
{
	app_compose_settings_init(s);
	for (size_t i = 0; c && i < c->n_ui; i++) {
		if (!app_compose_ui_key(c->ui[i].key))
			continue;
		if (one(s, c, &c->ui[i], err) < 0) {
			app_compose_settings_clear(s);
			app_compose_settings_init(s);
			return -1;
		}
	}
	return 0;
}
