/*
 * audit-chain.c: a SQLite loadable extension with one aggregate function, the fast path of audit
 * verification (electron/services/audit/verify-worker.ts, RangeVerifier):
 *
 *   SELECT gatehouse_chain_range(AFTER, LAST, seq, record, hash) FROM events WHERE seq > AFTER AND seq <= LAST
 *
 * returns the range's first recorded prevHash followed by its last event's hash (128 characters) when every
 * seq in (AFTER, LAST] came once, in order, as a chain record whose SHA-256 is its stored hash and whose
 * prevHash is the hash of the row before it; NULL on anything else.
 *
 * Why hand-written C reads untrusted bytes here. In JavaScript each row costs a V8 string (UTF-8 decoded
 * byte by byte) and a crypto.hash call (~600 ns, of which OpenSSL's hashing of ~300 bytes is ~200): about
 * 1.9 us a row, so a million events took 1.3-1.7 s on two cores. Here SHA-256 runs over the stored bytes in
 * place and no row crosses into JavaScript: about 0.65 us a row.
 *
 * Why that is safe. This function only ever says "this range is intact" or "look again": any NULL makes
 * the caller run the TypeScript verifier, which names the fault. It accepts a subset of what the TypeScript
 * checks accept (readChainLinks in electron/services/audit/chain.ts, mirrored below key for key, and
 * stricter where bytes and UTF-16 could differ: the prevHash must be 64 lower-case hex digits), so it can
 * never call intact a log the TypeScript verifier would fault. test/integration/audit/native-chain.test.ts
 * runs every tamper case through both and compares.
 *
 * SHA-256 is OpenSSL's, resolved from the host process when SQLite loads this file (Node exports its
 * OpenSSL's symbols to addons), and built against that Node's own OpenSSL headers (build/native.mjs). The
 * low-level SHA256_* calls are used because OpenSSL 3's one-shot SHA256() and EVP_Digest() fetch the
 * algorithm on every call, which costs more than hashing a record.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

/* The largest integer a JavaScript number holds exactly: readChainLinks refuses any seq above it. */
#define MAX_SAFE_INTEGER 9007199254740991LL

typedef struct {
  int started;               /* AFTER and LAST have been read */
  int have_prev;             /* a row has been accepted: prev holds its hash */
  int bad;                   /* an anomaly was met: the result is NULL */
  sqlite3_int64 expected;    /* the seq the next row must have */
  sqlite3_int64 last;
  unsigned char first_prev[64];
  unsigned char prev[64];    /* the computed hash of the row before */
} Chain;

static const char HEX[] = "0123456789abcdef";

/* The last index at which `key` (of length k) starts in text[from, n), or -1. */
static long last_index_from(const unsigned char *text, long n, const char *key, long k, long from) {
  for (long at = n - k; at >= from; at--) {
    if (text[at] == (unsigned char)key[0] && memcmp(text + at, key, (size_t)k) == 0) return at;
  }
  return -1;
}

/* Whether `,"` stands right before `at`, at or after `from` (afterCommaQuote in chain.ts). */
static int after_comma_quote(const unsigned char *text, long at, long from) {
  return at - 2 >= from && text[at - 2] == ',' && text[at - 1] == '"';
}

static int is_lower_hex(const unsigned char *p, long n) {
  for (long i = 0; i < n; i++) {
    unsigned char c = p[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return 0;
  }
  return 1;
}

/*
 * readChainLinks: the top-level prevHash and seq of a canonical record, found as the last `prevHash":"`
 * and the last `seq":` after it, each with `,"` before it. Sets *prev_at and *seq; returns 0 when the
 * record does not have that shape.
 */
static int read_chain_links(const unsigned char *text, long n, long *prev_at, sqlite3_int64 *seq) {
  static const char PREV_HASH_KEY[] = "prevHash\":\"";
  static const char SEQ_KEY[] = "seq\":";
  const long pk = (long)sizeof(PREV_HASH_KEY) - 1;
  const long sk = (long)sizeof(SEQ_KEY) - 1;
  long at = last_index_from(text, n, PREV_HASH_KEY, pk, 0);
  if (at < 0 || !after_comma_quote(text, at, 0)) return 0;
  long hash_start = at + pk;
  if (hash_start + 64 >= n || text[hash_start + 64] != '"' || !is_lower_hex(text + hash_start, 64)) return 0;
  long seq_at = last_index_from(text, n, SEQ_KEY, sk, hash_start);
  if (seq_at < 0 || !after_comma_quote(text, seq_at, hash_start)) return 0;
  long i = seq_at + sk;
  long first = i;
  sqlite3_int64 value = 0;
  for (; i < n && text[i] >= '0' && text[i] <= '9'; i++) {
    value = value * 10 + (text[i] - '0');
    if (value > MAX_SAFE_INTEGER) return 0;
  }
  if (i == first || i >= n || text[i] != ',') return 0;
  *prev_at = hash_start;
  *seq = value;
  return 1;
}

/* AFTER and LAST as bound: an integer, or (better-sqlite3 binds JavaScript numbers so) a double holding one. */
static int whole_number(sqlite3_value *value, sqlite3_int64 *out) {
  if (sqlite3_value_type(value) == SQLITE_INTEGER) {
    *out = sqlite3_value_int64(value);
    return 1;
  }
  if (sqlite3_value_type(value) != SQLITE_FLOAT) return 0;
  double d = sqlite3_value_double(value);
  if (!(d >= 0 && d <= (double)MAX_SAFE_INTEGER) || (double)(sqlite3_int64)d != d) return 0;
  *out = (sqlite3_int64)d;
  return 1;
}

static void chain_step(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  Chain *c = (Chain *)sqlite3_aggregate_context(ctx, (int)sizeof(Chain));
  if (c == NULL) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (c->bad) return;
  if (!c->started) {
    sqlite3_int64 after = 0;
    if (!whole_number(argv[0], &after) || !whole_number(argv[1], &c->last)) {
      c->bad = 1;
      return;
    }
    c->expected = after + 1;
    c->started = 1;
  }
  if (sqlite3_value_type(argv[2]) != SQLITE_INTEGER || sqlite3_value_int64(argv[2]) != c->expected || c->expected > c->last ||
      sqlite3_value_type(argv[3]) != SQLITE_TEXT || sqlite3_value_type(argv[4]) != SQLITE_TEXT) {
    c->bad = 1;
    return;
  }
  /* sqlite3_value_text then sqlite3_value_bytes: the stored UTF-8 bytes, as stored (the database is UTF-8). */
  const unsigned char *record = sqlite3_value_text(argv[3]);
  long n = sqlite3_value_bytes(argv[3]);
  const unsigned char *stored = sqlite3_value_text(argv[4]);
  long hn = sqlite3_value_bytes(argv[4]);
  if (record == NULL || stored == NULL || hn != 64) {
    c->bad = 1;
    return;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX sha;
  SHA256_Init(&sha);
  SHA256_Update(&sha, record, (size_t)n);
  SHA256_Final(digest, &sha);
  unsigned char computed[64];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
    computed[2 * i] = (unsigned char)HEX[digest[i] >> 4];
    computed[2 * i + 1] = (unsigned char)HEX[digest[i] & 15];
  }
  long prev_at = 0;
  sqlite3_int64 seq = 0;
  if (memcmp(computed, stored, 64) != 0 || !read_chain_links(record, n, &prev_at, &seq) || seq != c->expected) {
    c->bad = 1;
    return;
  }
  if (!c->have_prev) memcpy(c->first_prev, record + prev_at, 64);
  else if (memcmp(record + prev_at, c->prev, 64) != 0) {
    c->bad = 1;
    return;
  }
  memcpy(c->prev, computed, 64);
  c->have_prev = 1;
  c->expected += 1;
}

static void chain_final(sqlite3_context *ctx) {
  Chain *c = (Chain *)sqlite3_aggregate_context(ctx, 0);
  if (c == NULL || !c->started || c->bad || c->expected != c->last + 1) {
    sqlite3_result_null(ctx);
    return;
  }
  unsigned char out[128];
  memcpy(out, c->first_prev, 64);
  memcpy(out + 64, c->prev, 64);
  sqlite3_result_text(ctx, (const char *)out, 128, SQLITE_TRANSIENT);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_auditchain_init(sqlite3 *db, char **error, const sqlite3_api_routines *api) {
  (void)error;
  SQLITE_EXTENSION_INIT2(api);
  /* SQLITE_DIRECTONLY: a view or trigger in the database being verified can never call it. */
  return sqlite3_create_function_v2(db, "gatehouse_chain_range", 5, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, NULL,
                                    chain_step, chain_final, NULL);
}
