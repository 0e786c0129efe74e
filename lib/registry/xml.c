/* xml.c: the registry's XML through mini-XML's SAX loader, with line numbers,
 * limits and one located message for the first error, turned once into our
 * own element tree (struct xnode). The only file that includes mxml.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mxml.h>

#include "internal.h"

#define MAX_NODES 200000  /* kept nodes; past this the file is refused */

struct sax {
	struct rctx *c;
	FILE *fp;               /* during the parse, for error positions */
	int depth;
	size_t kept;
	int too_many;           /* line where MAX_NODES was passed, or 0 */
	mxml_node_t *open;      /* innermost element still open */
	size_t last_end;        /* offset just past the last markup seen */
	bool failed;            /* mini-XML reported an error already */
};

static struct sax *cur;  /* for mini-XML's global error callback */

static int line_now(const struct sax *x)
{
	long pos = x->fp ? ftell(x->fp) : -1;
	if (pos <= 0)
		return 1;
	size_t off = (size_t)pos - 1;
	if (off >= x->c->len)
		off = x->c->len ? x->c->len - 1 : 0;
	return line_of(x->c, off);
}

/* mini-XML's own line counts miss some newlines, so lines come from the
 * stream position, kept in each node's user data. */
static int node_line(mxml_node_t *n)
{
	return (int)(intptr_t)mxmlGetUserData(n);
}

/* The tag name up to '>' of mini-XML's message, into tag; false if empty. */
static bool close_tag(const char *text, char *tag, size_t n)
{
	size_t k = 0;
	while (text[k] && text[k] != '>' && k + 1 < n) {
		tag[k] = text[k];
		k++;
	}
	tag[k] = 0;
	return k > 0;
}

/* mini-XML stops at its first error; anything it says after that is a
 * consequence (one bad entity also reports "Bad control character
 * 0xffffffff"), so only the first message is kept. Messages about a close
 * tag name the open element and its line, never our own #top node. */
static void mxml_err_cb(const char *msg)
{
	struct sax *x = cur;
	if (!x || x->failed)
		return;
	x->failed = true;
	struct rctx *c = x->c;
	char text[512];
	snprintf(text, sizeof text, "%s", msg);
	char *on = strstr(text, " on line ");
	if (on)
		*on = 0;
	size_t n = strlen(text);
	while (n && (text[n - 1] == '.' || text[n - 1] == '\n'))
		text[--n] = 0;
	bool top_open = !x->open || !mxmlGetParent(x->open);
	const char *open = top_open ? NULL : mxmlGetElement(x->open);
	char tag[128];
	if (strncmp(text, "Missing close tag ", 18) == 0 && open) {
		reg_err(c, node_line(x->open), "XML: <%s> is never closed (the file ends on line %d)", open,
			line_now(x));
	} else if (strncmp(text, "Mismatched close tag <", 22) == 0 && close_tag(text + 22, tag, sizeof tag)) {
		if (open)
			reg_err(c, line_now(x), "XML: close tag <%s> does not match <%s> opened on line %d", tag, open,
				node_line(x->open));
		else
			reg_err(c, line_now(x), "XML: close tag <%s> outside any open element", tag);
	} else {
		reg_err(c, line_now(x), "XML: %s", text);
	}
}

/* Line of the first non-blank byte of the text that ends at the '<' just
 * read (where mini-XML emits a text node). */
static int text_line(const struct sax *x)
{
	const struct rctx *c = x->c;
	long pos = ftell(x->fp);
	size_t end = pos > 0 ? (size_t)pos - 1 : 0;
	if (end > c->len)
		end = c->len;
	size_t off = end;
	while (off > 0 && c->text[off - 1] != '>')
		off--;
	while (off < end && isspace((unsigned char)c->text[off]))
		off++;
	return line_of(c, off);
}

/* Keep nodes up to MAX_DEPTH, at most MAX_NODES of them, and tag elements
 * with the line of their '<'. */
static void sax_cb(mxml_node_t *node, mxml_sax_event_t ev, void *data)
{
	struct sax *x = data;
	const struct rctx *c = x->c;
	long pos = ftell(x->fp);
	x->last_end = pos > 0 ? (size_t)pos : 0;
	switch (ev) {
	case MXML_SAX_ELEMENT_OPEN: {
		x->depth++;
		x->open = node;
		size_t off = x->last_end > c->len ? c->len : x->last_end;
		while (off > 0 && c->text[off - 1] != '<')
			off--;
		int line = line_of(c, off ? off - 1 : 0);
		mxmlSetUserData(node, (void *)(intptr_t)line);
		if (x->depth <= MAX_DEPTH && x->kept < MAX_NODES) {
			mxmlRetain(node);
			x->kept++;
		} else if (x->kept >= MAX_NODES && !x->too_many) {
			x->too_many = line;
		}
		break;
	}
	case MXML_SAX_ELEMENT_CLOSE:
		x->depth--;
		x->open = mxmlGetParent(node);
		break;
	case MXML_SAX_DATA:
	case MXML_SAX_CDATA:
		if (x->depth + 1 <= MAX_DEPTH && x->kept < MAX_NODES) {
			if (ev == MXML_SAX_CDATA)
				mxmlSetUserData(node, (void *)(intptr_t)line_now(x));
			else if (x->depth == 0)
				mxmlSetUserData(node, (void *)(intptr_t)text_line(x));
			mxmlRetain(node);
			x->kept++;
		} else if (x->kept >= MAX_NODES && !x->too_many) {
			x->too_many = line_now(x);
		}
		break;
	default:
		break;  /* comments and directives are not kept */
	}
}

static bool is_element(mxml_node_t *n)
{
	if (mxmlGetType(n) != MXML_ELEMENT)
		return false;
	const char *name = mxmlGetElement(n);
	return name && name[0] != '?' && name[0] != '!';  /* not a directive, comment or CDATA */
}

static bool is_cdata(mxml_node_t *n)
{
	if (mxmlGetType(n) != MXML_ELEMENT)
		return false;
	const char *name = mxmlGetElement(n);
	return name && strncmp(name, "![CDATA[", 8) == 0;
}

static bool all_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* One mini-XML element into our tree: its attributes, its text and CDATA
 * joined, its child elements. The depth is bounded by MAX_DEPTH (deeper
 * nodes were not kept). */
static struct xnode *convert(struct arena *a, mxml_node_t *el)
{
	struct xnode *x = arena_alloc(a, sizeof *x);
	x->name = arena_strdup(a, mxmlGetElement(el));
	x->line = node_line(el);
	struct xattr **at = &x->attrs;
	for (int i = 0, n = mxmlElementGetAttrCount(el); i < n; i++) {
		const char *name;
		const char *value = mxmlElementGetAttrByIndex(el, i, &name);
		*at = arena_alloc(a, sizeof **at);
		**at = (struct xattr){arena_strdup(a, name), arena_strdup(a, value ? value : ""), NULL};
		at = &(*at)->next;
	}
	struct buf text = {0};
	struct xnode **child = &x->child;
	for (mxml_node_t *n = mxmlGetFirstChild(el); n; n = mxmlGetNextSibling(n)) {
		if (mxmlGetType(n) == MXML_OPAQUE) {
			const char *t = mxmlGetOpaque(n);
			if (t)
				buf_puts(&text, t);
		} else if (is_cdata(n)) {
			/* "![CDATA[" and the content: the loader has already dropped
			 * the "]]>", so a "]]" still at the end is content. */
			buf_puts(&text, mxmlGetElement(n) + 8);
		} else if (is_element(n)) {
			*child = convert(a, n);
			child = &(*child)->next;
		}
	}
	x->text = arena_strndup(a, buf_str(&text), text.len);
	buf_free(&text);
	return x;
}

/* What mini-XML would choke on, or takes a long time over, is refused before
 * it runs: NUL bytes, bytes that are never UTF-8, absurd attribute counts. */
static void precheck(struct rctx *c)
{
	const char *nul = memchr(c->text, 0, c->len);
	if (nul)
		reg_err(c, line_of(c, (size_t)(nul - c->text)), "registry holds a NUL byte");
	/* 0xFE and 0xFF never occur in UTF-8. mini-XML takes such a pair anywhere
	 * for a UTF-16 byte order mark and switches encodings mid-file (then reads
	 * past the end with an undefined shift of EOF). */
	for (size_t i = 0; i < c->len; i++)
		if ((unsigned char)c->text[i] >= 0xfe) {
			reg_err(c, line_of(c, i), "registry is not UTF-8 text (byte 0x%02x)", (unsigned char)c->text[i]);
			break;
		}
	/* mini-XML's time grows with the square of an element's attribute count:
	 * refuse absurd counts before parsing (a reload must not stall the daemon).
	 * Only attributes count: not an '=' in text, comments, CDATA, processing
	 * instructions or quoted values, and a '>' in quotes does not end a tag. */
	long at = xml_attrs_over(c->text, c->len, MAX_ATTRS);
	if (at >= 0)
		reg_err(c, line_of(c, (size_t)at), "an element with more than %d attributes", MAX_ATTRS);
}

/* Exactly one element at the top, and no text or CDATA beside it. */
static mxml_node_t *only_root(struct rctx *c, mxml_node_t *top)
{
	mxml_node_t *root = NULL;
	for (mxml_node_t *n = mxmlGetFirstChild(top); n; n = mxmlGetNextSibling(n)) {
		if (is_element(n)) {
			if (root) {
				reg_err(c, node_line(n), "XML: a second top-level element <%s> after <%s>",
					mxmlGetElement(n), mxmlGetElement(root));
				return NULL;
			}
			root = n;
		} else if (mxmlGetType(n) == MXML_OPAQUE && !all_blank(mxmlGetOpaque(n) ? mxmlGetOpaque(n) : "")) {
			reg_err(c, node_line(n), "XML: text outside the root element");
			return NULL;
		} else if (is_cdata(n)) {
			reg_err(c, node_line(n), "XML: CDATA outside the root element");
			return NULL;
		}
	}
	if (!root)
		reg_err(c, 1, "no root element (expected <supervisor>)");
	return root;
}

/* Without an XML declaration mini-XML makes a leading comment the root and
 * refuses <supervisor> as a second one; loading into a top node of our own
 * accepts it, and only_root() then checks what sits at the top. */
struct xnode *xml_load(struct rctx *c)
{
	unsigned errors = c->d->errors;
	precheck(c);
	if (all_blank(c->text)) {
		reg_err(c, 1, "registry is empty (expected <supervisor>)");
		return NULL;
	}
	if (c->d->errors != errors)
		return NULL;
	struct sax x = {.c = c};
	x.fp = fmemopen((void *)c->text, c->len, "r");
	if (!x.fp) {
		reg_err(c, 0, "cannot read registry: %s", strerror(errno));
		return NULL;
	}
	mxml_node_t *top = mxmlNewElement(MXML_NO_PARENT, "#top");
	cur = &x;
	mxmlSetErrorCallback(mxml_err_cb);
	mxml_node_t *res = mxmlSAXLoadFile(top, x.fp, MXML_OPAQUE_CALLBACK, sax_cb, &x);
	mxmlSetErrorCallback(NULL);
	cur = NULL;
	fclose(x.fp);
	x.fp = NULL;

	struct xnode *root = NULL;
	mxml_node_t *mroot = NULL;
	if (x.too_many) {
		reg_err(c, x.too_many, "registry has more than %d elements and text nodes", MAX_NODES);
	} else if (!res || c->d->errors != errors) {
		if (c->d->errors == errors)
			reg_err(c, line_of(c, c->len ? c->len - 1 : 0), "XML: cannot parse the registry");
	} else {
		/* mini-XML drops text that trails the last markup at the end of
		 * the file without a word; it is not well-formed XML. */
		size_t i = x.last_end;
		while (i < c->len && isspace((unsigned char)c->text[i]))
			i++;
		if (i < c->len)
			reg_err(c, line_of(c, i), "XML: text outside the root element");
		else
			mroot = only_root(c, top);
	}
	if (mroot)
		root = convert(&c->tree, mroot);
	mxmlDelete(top);
	return root;
}
