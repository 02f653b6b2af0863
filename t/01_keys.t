# SPDX-License-Identifier: Apache-2.0
# Every algorithm and every key source, each through a real request.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

my @ok = (
    [HS256 => '/p/hs-file'], [HS384 => '/p/hs-file'], [HS512 => '/p/hs-file'],
    [HS256 => '/p/hs32', 'hs32'], [HS256 => '/p/hs-env', 'env'],
    [RS256 => '/p/rsa-pem'], [RS384 => '/p/rsa-pem'], [RS512 => '/p/rsa-pem'],
    [PS256 => '/p/rsa-pem'], [PS384 => '/p/rsa-pem'], [PS512 => '/p/rsa-pem'],
    [RS256 => '/p/rsa-crt'], [PS512 => '/p/rsa-crt'],
    [ES256 => '/p/ec256'], [ES384 => '/p/ec384'], [ES512 => '/p/ec521'],
    [EdDSA => '/p/ed'], [RS256 => '/p/rs256-only'],
);
for my $c (@ok) {
    my ($alg, $url, $key) = @$c;
    my $t = mint(alg => $alg, ($key ? (key => $key) : ()));
    check_ok("$alg at $url", sub { GET_($url, bearer($t)) },
             like => qr/^ajwt ok$/m);
}

# The same algorithms must fail without a token and with a wrong key.
check_deny('no token at /p/rsa-pem', sub { GET_('/p/rsa-pem') },
           tag => 'AH70002');
my %wrong = (
    '/p/hs-file' => [HS256 => 'hs32'], '/p/hs-env' => [HS256 => 'hs64'],
    '/p/rsa-pem' => [RS256 => 'rsa2'], '/p/rsa-crt' => [PS256 => 'rsa2'],
    '/p/ec256' => [ES256 => 'evil-ec256'], '/p/ed' => [EdDSA => 'evil-ed'],
);
for my $url (sort keys %wrong) {
    my ($alg, $key) = @{ $wrong{$url} };
    my $t = mint(alg => $alg, key => $key);
    check_deny("$alg signed by $key at $url", sub { GET_($url, bearer($t)) },
               tag => 'AH70008', token => $t);
}

# A 32-byte secret is never used with a longer hash.
for my $alg (qw(HS384 HS512)) {
    my $t = sign_raw($alg, 'raw:' . secret('hs32'),
                     { alg => $alg, typ => 'JWT' },
                     { sub => 'alice', exp => NOW + 600 });
    check_deny("$alg with a 32-byte secret", sub {
        GET_('/p/hs32', bearer($t)) }, tag => [qw(AH70005 AH70007)],
        token => $t);
}
# A key only fits its own type and curve; the allow-list is obeyed.
{
    my $t = mint(alg => 'ES256');
    check_deny('ES256 token at the P-384 location',
               sub { GET_('/p/ec384', bearer($t)) },
               tag => [qw(AH70005 AH70007)]);
    $t = mint(alg => 'PS256');
    check_deny('PS256 where AuthJWTAlgorithms RS256',
               sub { GET_('/p/rs256-only', bearer($t)) }, tag => 'AH70005');
    $t = mint(alg => 'EdDSA');
    check_deny('EdDSA token at an RSA location',
               sub { GET_('/p/rsa-pem', bearer($t)) },
               tag => [qw(AH70005 AH70007)]);
}

# JWKS rotation: two keys told apart by kid.
for my $c ([k1 => 'rsa'], [k2 => 'rsa2']) {
    my ($kid, $key) = @$c;
    my $t = mint(alg => 'RS256', key => $key, header => { kid => $kid });
    check_ok("JWKS kid $kid", sub { GET_('/p/rotate', bearer($t)) });
}
{
    my $t = mint(alg => 'RS256', key => 'rsa2');
    check_ok('JWKS, no kid, second key', sub {
        GET_('/p/rotate', bearer($t)) });
    $t = mint(alg => 'RS256', key => 'rsa', header => { kid => 'k3' });
    check_deny('JWKS unknown kid k3', sub { GET_('/p/rotate', bearer($t)) },
               tag => 'AH70007', token => $t);
    $t = mint(alg => 'RS256', key => 'rsa2', header => { kid => 'k1' });
    check_deny('JWKS kid k1 signed by the k2 key',
               sub { GET_('/p/rotate', bearer($t)) }, tag => 'AH70008',
               token => $t);
    $t = mint(alg => 'ES256', key => 'ec256', header => { kid => 'ec-1' });
    check_ok('mixed JWKS, EC key by kid', sub {
        GET_('/p/mixed', bearer($t)) });
    $t = mint(alg => 'EdDSA', key => 'ed', header => { kid => 'ed-1' });
    check_ok('mixed JWKS, Ed25519 key by kid', sub {
        GET_('/p/mixed', bearer($t)) });
}

# A JWK's own alg, use and key_ops are obeyed.
{
    my $r = '/p/restrict';
    check_ok('JWK alg RS256: RS256', sub { GET_($r, bearer(mint(alg => 'RS256',
        header => { kid => 'rs-only' }))) });
    my $t = mint(alg => 'PS256', header => { kid => 'rs-only' });
    check_deny('JWK alg RS256: PS256 refused', sub { GET_($r, bearer($t)) },
               tag => [qw(AH70005 AH70007)], token => $t);
    $t = mint(alg => 'RS256', key => 'rsa2', header => { kid => 'enc' });
    check_deny('JWK use enc: refused for signatures', sub {
        GET_($r, bearer($t)) }, tag => [qw(AH70005 AH70007)], token => $t);
    $t = mint(alg => 'ES256', header => { kid => 'ops-enc' });
    check_deny('JWK key_ops [encrypt]: refused', sub {
        GET_($r, bearer($t)) }, tag => [qw(AH70005 AH70007)], token => $t);
    check_ok('JWK key_ops [verify]: ES384', sub { GET_($r, bearer(mint(
        alg => 'ES384', header => { kid => 'ops-verify' }))) });
}

# Rotation with several AuthJWTKey/AuthJWTSecret lines, each with a kid.
{
    my $m = '/p/multi';
    check_ok('kid old', sub { GET_($m, bearer(mint(alg => 'RS256',
        key => 'rsa', header => { kid => 'old' }))) });
    check_ok('kid new', sub { GET_($m, bearer(mint(alg => 'PS256',
        key => 'rsa2', header => { kid => 'new' }))) });
    check_ok('kid hmac', sub { GET_($m, bearer(mint(alg => 'HS512',
        header => { kid => 'hmac' }))) });
    check_ok('no kid, any key', sub { GET_($m, bearer(mint(alg => 'RS256',
        key => 'rsa2'))) });
    my $t = mint(alg => 'RS256', key => 'rsa2', header => { kid => 'old' });
    check_deny('kid old, signed by the new key', sub { GET_($m, bearer($t)) },
               tag => 'AH70008', token => $t);
    $t = mint(alg => 'HS256', header => { kid => 'old' });
    check_deny('HS256 naming the RSA kid', sub { GET_($m, bearer($t)) },
               tag => [qw(AH70005 AH70007)], token => $t);
}

done_testing;
