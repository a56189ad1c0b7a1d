// http-parser, entered only through BFSHTTP.
#include <http_parser.h>
// HTTP_PARSER_ERRNO is a macro Swift cannot import.
static inline enum http_errno chttp_errno(const http_parser *p) { return (enum http_errno)p->http_errno; }
