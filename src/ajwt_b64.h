/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ajwt_b64.h: strict base64url (RFC 4648 section 5, RFC 7515 section 2).
 * No padding, no whitespace, nothing outside A-Z a-z 0-9 - _, and the
 * unused trailing bits of the last character must be zero (canonical).
 */
#ifndef AJWT_B64_H
#define AJWT_B64_H

#include "ajwt.h"

/*
 * Decode len characters of in. *out is allocated from p, has *outlen bytes
 * plus a terminating NUL that is not counted. AJWT_EMALFORMED on any
 * non-canonical input (length 1 mod 4 included).
 */
ajwt_status_t ajwt_b64_decode(unsigned char **out, apr_size_t *outlen,
                              const char *in, apr_size_t len,
                              apr_pool_t *p, ajwt_err_t *err);

/*
 * The same into buf, which has room for ajwt_b64_decoded_max(len) + 1
 * bytes (the NUL): for callers that decode several segments into one
 * allocation or a stack buffer.
 */
ajwt_status_t ajwt_b64_decode_to(unsigned char *buf, apr_size_t *outlen,
                                 const char *in, apr_size_t len,
                                 ajwt_err_t *err);

/* Decoded bytes of len characters of valid input (without the NUL). */
apr_size_t ajwt_b64_decoded_max(apr_size_t len);

/* Encode len bytes without padding; NUL-terminated string from p. */
char *ajwt_b64_encode(const unsigned char *in, apr_size_t len,
                      apr_pool_t *p);

#endif
