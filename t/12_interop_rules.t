# SPDX-License-Identifier: Apache-2.0
# What tokens from real identity providers and browsers need, end to end
# on a private httpd (issue 15):
# - no token at all: 401 with a Bearer challenge WITHOUT an error code
#   (RFC 6750 3.1); a bad token keeps error="invalid_token";
# - a browser's CORS preflight (OPTIONS + Origin +
#   Access-Control-Request-Method) passes AuthType jwt without a token
#   under AuthJWTCORSPreflight pass (the default), logged at debug;
#   AuthJWTCORSPreflight auth asks it for one; any other OPTIONS needs one;
# - a static key without kid verifies a token whatever its kid (kid is a
#   hint), a key with a kid only its own;
# - NumericDates may be fractional (exp rounded down);
# - alg "Ed25519" (RFC 9864) is accepted for an Ed25519 key;
# - LogLevel auth_jwt:debug traces an accepted token (AH70078): source,
#   alg, kid, the key that verified it or the cache hit; never the token;
# - REMOTE_USER only from a string or number claim: an array or object in
#   the user claim is refused (AH70009), never turned into JSON text.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Instance;

my $conf = <<'C';
LogLevel warn auth_jwt:debug
<Location /p>
    AuthType jwt
    AuthName rp
    AuthJWTKey @KEYS@/rsa.pub
    AuthJWTKey @KEYS@/ed.pub
    Require valid-jwt
</Location>
<Location /strict-preflight>
    AuthType jwt
    AuthName rp
    AuthJWTKey @KEYS@/rsa.pub
    AuthJWTCORSPreflight auth
    Require valid-jwt
</Location>
<Location /q>
    AuthType jwt
    AuthName rp
    AuthJWTKey @KEYS@/rsa.pub kid-1
    Require valid-jwt
</Location>
<Location /a>
    AuthType jwt
    AuthName rp
    AuthJWTKey @KEYS@/rsa.pub
    AuthJWTUserClaim who
    Require valid-jwt
</Location>
C
my $h = AuthJWT::Instance->new(name => 'interop-rules', conf => $conf);
$h->start;

sub get {
    my ($path, %o) = @_;
    return $h->request($o{method} || 'GET', $path, %o);
}
sub www { scalar($_[0]->header('WWW-Authenticate')) // '' }

# --- challenges ----------------------------------------------------------
{
    my $m = $h->log_mark;
    my $r = get('/p');
    is($r->code, 401, 'no token: 401');
    is(www($r), 'Bearer realm="rp"',
       'no token: a challenge without an error code');
    like($h->log_since($m), qr/AH70002: token refused \(no token\)/,
         'no token: AH70002 in the log');
    $r = get('/p', token => 'abc.def.ghi');
    is($r->code, 401, 'bad token: 401');
    is(www($r), 'Bearer realm="rp", error="invalid_token"',
       'bad token: error="invalid_token"');
}

# --- CORS preflight -------------------------------------------------------
{
    my @pre = (headers => [[Origin => 'https://app.example'],
                           ['Access-Control-Request-Method' => 'GET'],
                           ['Access-Control-Request-Headers'
                            => 'authorization']]);
    my $m = $h->log_mark;
    my $r = get('/p', method => 'OPTIONS', @pre);
    isnt($r->code, 401, 'preflight without a token: not 401 (got '
         . $r->code . ')');
    ok($r->code < 400, 'preflight answered by httpd itself: ' . $r->code);
    is(www($r), '', 'preflight: no challenge');
    like($h->log_since($m), qr/\[auth_jwt:debug\].*AH70073: CORS preflight (?#
                                )of \/p passed without a token/,
         'preflight logged at debug (AH70073)');
    $r = get('/p', method => 'OPTIONS',
             headers => [[Origin => 'https://app.example']]);
    is($r->code, 401, 'OPTIONS with Origin but no request method: 401');
    $r = get('/p', method => 'OPTIONS');
    is($r->code, 401, 'plain OPTIONS: 401');
    $r = get('/p', method => 'GET', @pre);
    is($r->code, 401, 'GET with preflight headers: still needs a token');
    $r = get('/strict-preflight', method => 'OPTIONS', @pre);
    is($r->code, 401, 'AuthJWTCORSPreflight auth: the preflight needs a '
       . 'token');
    $r = get('/strict-preflight', method => 'OPTIONS', @pre,
             token => mint(alg => 'RS256'));
    isnt($r->code, 401, '... and passes with one');
}

# --- kid is a hint ---------------------------------------------------------
{
    my $kc = mint(alg => 'RS256',
                  header => { kid => 'Zx3lS0kV9qL2bT8uRw5nQy1mH4cJ6pEa' });
    my $m0 = $h->log_mark;
    is(get('/p', token => $kc)->code, 200,
       'key without kid, token with an IdP kid: 200');
    my $trace = $h->log_since($m0);
    like($trace, qr/\[auth_jwt:debug\].*AH70078: token accepted: user (?#
                   )alice, from the Authorization header, alg RS256, kid (?#
                   )Zx3lS0kV9qL2bT8uRw5nQy1mH4cJ6pEa, configured key (?#
                   )without kid \(\S*rsa\.pub\), revocation no store/,
         'LogLevel debug traces the accepted token: source, alg, kid, key')
        or diag($trace);
    my ($sig) = $kc =~ /\.([^.]+)$/;
    ok(index($trace, $sig) < 0, '... and never the token');
    # the cache is per process: within a few requests a child that has
    # seen the token answers from it
    $m0 = $h->log_mark;
    get('/p', token => $kc) for 1 .. 8;
    like($h->log_since($m0), qr/AH70078: token accepted: .*from the (?#
                                )Authorization header, verified-token cache (?#
                                )hit, revocation/,
         'seen again: the trace says a cache hit');
    my $m = $h->log_mark;
    is(get('/q', token => $kc)->code, 401,
       'key with kid-1, token with another kid: 401');
    like($h->log_since($m), qr/AH70007: token refused \(no matching key\)/,
         '... AH70007');
    is(get('/q', token => mint(alg => 'RS256',
                                   header => { kid => 'kid-1' }))->code,
       200, 'key with kid-1, token with kid-1: 200');
}

# --- fractional NumericDate -----------------------------------------------
{
    my $t = sign_raw('RS256', 'rsa', '{"alg":"RS256","typ":"JWT"}',
                     sprintf('{"sub":"alice","iat":%d.25,"exp":%d.5}',
                             time - 5, time + 600));
    is(get('/p', token => $t)->code, 200, 'fractional iat and exp: 200');
    $t = sign_raw('RS256', 'rsa', '{"alg":"RS256","typ":"JWT"}',
                  sprintf('{"sub":"alice","exp":%d.9}', time - 100));
    my $m = $h->log_mark;
    is(get('/p', token => $t)->code, 401, 'fractional exp in the past: 401');
    like($h->log_since($m), qr/AH70010: token refused \(expired\)/,
         '... AH70010');
}

# --- alg Ed25519 -----------------------------------------------------------
{
    my $pl = sprintf '{"sub":"alice","exp":%d}', time + 600;
    is(get('/p', token => sign_raw('EdDSA', 'ed',
                                   '{"alg":"Ed25519","typ":"JWT"}', $pl))
       ->code, 200, 'alg Ed25519 with an Ed25519 key: 200');
    is(get('/p', token => sign_raw('EdDSA', 'ed',
                                   '{"alg":"EdDSA","typ":"JWT"}', $pl))
       ->code, 200, 'alg EdDSA with the same key: 200');
}

# --- REMOTE_USER only from a string or a number ---------------------------
for my $case (['"alice"', 200], ['42', 200], ['["alice"]', 401],
              ['{"name":"alice"}', 401], ['true', 401]) {
    my ($v, $want) = @$case;
    my $t = sign_raw('RS256', 'rsa', '{"alg":"RS256","typ":"JWT"}',
                     sprintf('{"sub":"s","who":%s,"exp":%d}', $v,
                             time + 600));
    my $m = $h->log_mark;
    is(get("/a", token => $t)->code, $want, "user claim $v: $want");
    if ($want == 401) {
        like($h->log_since($m), qr/AH70009: .*user claim 'who' is not a (?#
                                    )string or a number/,
             "... AH70009 says why");
    }
}

$h->stop;
done_testing();
