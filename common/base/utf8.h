/* utf8.h - writing a code point as UTF-8: one encoder for the rule
 * language's string building and the HTTP server's case folding. */
#ifndef MC_BASE_UTF8_H
#define MC_BASE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* utf8_encode - cp (at most 0x10FFFF) as UTF-8 into out, which has room
 * for 4 bytes; returns the number of bytes written */
size_t utf8_encode(uint32_t cp, char *out);

#endif
