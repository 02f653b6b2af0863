# SPDX-License-Identifier: Apache-2.0
# The harness itself: httpd up with our config, keys generated, tokens
# minted and checked by an independent implementation, static file, CGI,
# and the proxy path to the backend.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::RSA;
use Crypt::PK::ECC;

my $r = GET_('/index.html');
is($r->code, 200, 'static file');
$r = GET_('/p/unprotected');
is($r->code, 200, '/p/NAME maps to index.html');
like($r->content, qr/^ajwt ok$/m, 'index body');
$r = GET_('/backend/x', 'X-Probe' => 'hello');
is($r->code, 200, 'backend CGI');
like($r->content, qr/^HTTP_X_PROBE=hello$/m, 'CGI sees X- header');
$r = GET_('/open-proxy/x', 'X-Probe' => 'via-proxy');
is($r->code, 200, 'proxy to backend');
like($r->content, qr/^HTTP_X_PROBE=via-proxy$/m, 'backend sees X- header');

for my $k (qw(rsa.pub rsa.crt ec256.pub ed.pub rotate.jwks mixed.jwks
              hs64.secret hs32.secret)) {
    ok(-s keyfile($k), "key $k generated");
}
ok(length($ENV{AJWT_TEST_SECRET} // '') >= 32, 'env secret set');

# Tokens verify with Crypt::JWT itself (the minting is right).
my $t = mint(alg => 'RS256');
my $c = decode_jwt(token => $t, key => Crypt::PK::RSA->new(keyfile('rsa.pub')));
is($c->{sub}, 'alice', 'RS256 token verifies');
$t = sign_raw('ES256', 'ec256', { alg => 'ES256' }, { sub => 'bob', exp => NOW + 60 });
$c = decode_jwt(token => $t, key => Crypt::PK::ECC->new(keyfile('ec256.pub')));
is($c->{sub}, 'bob', 'hand-signed ES256 token verifies');
$t = sign_raw('PS384', 'rsa', { alg => 'PS384' }, { sub => 'c', exp => NOW + 60 });
$c = decode_jwt(token => $t, key => Crypt::PK::RSA->new(keyfile('rsa.pub')));
is($c->{sub}, 'c', 'hand-signed PS384 token verifies');
$t = sign_raw('HS512', 'hs64', { alg => 'HS512' }, { sub => 'd', exp => NOW + 60 });
$c = decode_jwt(token => $t, key => secret('hs64'));
is($c->{sub}, 'd', 'hand-signed HS512 token verifies');
is(length pad_to(3000), 3000, 'pad_to reaches an exact length');

done_testing;
