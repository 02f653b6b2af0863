# SPDX-License-Identifier: Apache-2.0
# jwt-jwks on a private httpd: the public verification keys of the
# location as a JWK Set.
# - ES256 signing key + an RSA AuthJWTKey + an HMAC AuthJWTSecret: the set
#   has exactly the two public keys (kid kept), no private members
#   (d, p, q, dp, dq, qi, oth, k) and no oct key; the EC key is the test
#   key's public half (thumbprint); Crypt::JWT verifies a token from
#   jwt-login with the set (kid_keys) and refuses a tampered one;
# - RS256 signing key: an RSA JWK with n and e only, verifies its tokens;
# - HS256 signing key alone: an empty set, never the secret;
# - another httpd given the published set (AuthJWTKey FILE) accepts the
#   first one's tokens and refuses tampered ones;
# - 405 on POST; the content type and caching headers.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(users_file spew tokens_of);
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::RSA;
use File::Temp qw(tempdir);
use JSON;

my $keys = AuthJWT::Instance::keys_dir();
my $mods = AuthJWT::Instance::modules_dir();
my $aux = tempdir('ajwt-sso53-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
users_file("$aux/users", { alice => 'alice-pw' });

my $conf = "LoadModule authn_file_module $mods/mod_authn_file.so\n"
         . "AuthJWTRevocationStore shm\n";
my %loc = (
    es => "AuthJWTSignKey $keys/ec256.key ES256 sso1\n"
        . "    AuthJWTKey $keys/rsa.pub r1\n"
        . "    AuthJWTSecret file:$keys/hs64.secret h1\n",
    rs => "AuthJWTSignKey $keys/rsa2.key RS256 rs2\n",
    hs => "AuthJWTSignKey file:$keys/hs64.secret HS256 h2\n",
);
for my $n (sort keys %loc) {
    $conf .= <<"C";
<Location "/$n/">
    $loc{$n}    AuthUserFile $aux/users
</Location>
<Location "/$n/login">
    SetHandler jwt-login
</Location>
<Location "/$n/jwks">
    SetHandler jwt-jwks
</Location>
C
}
my $h = AuthJWT::Instance->new(name => 'sso53', children => 2,
                               conf => $conf)->start;

# a login of alice at /NAME/login: its access token
sub login {
    my $res = $h->login('alice', 'alice-pw', path => "/$_[0]/login");
    return (tokens_of($res))[0];
}
sub jwks {
    my $n = shift;
    my $res = $h->get("/$n/jwks");
    return ($res, eval { decode_json($res->decoded_content) });
}
my @private = qw(d p q dp dq qi oth k);
sub no_private {
    my $set = shift;
    my @bad;
    for my $k (@{ $set->{keys} || [] }) {
        push @bad, grep { exists $k->{$_} } @private;
        push @bad, 'kty oct' if ($k->{kty} || '') eq 'oct';
    }
    return @bad ? "private members: @bad" : '';
}
sub tamper {
    my $t = shift;
    my ($hd, $p, $s) = split /\./, $t;
    my $c = decode_json(MIME::Base64::decode_base64url($p));
    $c->{sub} = 'mallory';
    return join '.', $hd,
        MIME::Base64::encode_base64url(encode_json($c)), $s;
}
require MIME::Base64;

# ------------------------------------------------ ES256 + RSA + HMAC
my ($res, $set) = jwks('es');
is($res->code, 200, 'GET jwks: 200');
like($res->header('Content-Type') || '', qr{^application/jwk-set\+json},
     'Content-Type application/jwk-set+json');
like($res->header('Cache-Control') || '', qr/max-age=\d+/,
     'Cache-Control with max-age');
ok($set && ref $set->{keys} eq 'ARRAY', 'parses as a JWK Set');
is(no_private($set), '', 'no private members, no oct key');
is(scalar @{ $set->{keys} || [] }, 2,
   'exactly the two public keys (the HMAC secret left out)');
my %by = map { (($_->{kid} // '') => $_) } @{ $set->{keys} || [] };
is($by{sso1}{kty}, 'EC', 'signing key: kty EC, kid sso1');
is($by{sso1}{crv}, 'P-256', '... crv P-256');
ok($by{sso1}{x} && $by{sso1}{y}, '... x and y');
is($by{r1}{kty}, 'RSA', 'the AuthJWTKey: kty RSA, kid r1');
ok(!grep({ defined $_->{use} && $_->{use} ne 'sig' } @{ $set->{keys} }),
   'use, where given, is sig');
my $jwk_ec = eval { Crypt::PK::ECC->new(\encode_json($by{sso1})) };
ok($jwk_ec && !$jwk_ec->is_private, 'the EC JWK imports as a public key');
is($jwk_ec ? $jwk_ec->export_key_jwk_thumbprint('SHA256') : '',
   Crypt::PK::ECC->new("$keys/ec256.pub")->export_key_jwk_thumbprint('SHA256'),
   '... and is the public half of the signing key');
my $jwk_rsa = eval { Crypt::PK::RSA->new(\encode_json($by{r1})) };
is($jwk_rsa ? $jwk_rsa->export_key_jwk_thumbprint('SHA256') : '',
   Crypt::PK::RSA->new("$keys/rsa.pub")->export_key_jwk_thumbprint('SHA256'),
   'the RSA JWK is rsa.pub');

my $tok = login('es');
ok($tok, 'a token from jwt-login');
my ($hd, $cl) = eval { decode_jwt(token => $tok, kid_keys => $set,
                                  decode_header => 1) };
ok($cl, 'Crypt::JWT verifies it with the published set') or diag($@);
is(($hd || {})->{kid}, 'sso1', '... by kid sso1');
is(($cl || {})->{sub}, 'alice', '... sub alice');
ok(!eval { decode_jwt(token => tamper($tok), kid_keys => $set); 1 },
   'a tampered token does not verify with the set');

is($h->request(POST => '/es/jwks')->code, 405, 'POST: 405');
is($h->request(HEAD => '/es/jwks')->code, 200, 'HEAD: 200');

# ------------------------------------------------ RS256
($res, $set) = jwks('rs');
is($res->code, 200, 'RS256 location: 200');
is(no_private($set), '', 'RS256: no private members');
is(scalar @{ $set->{keys} || [] }, 1, 'RS256: one key');
my $k = ($set->{keys} || [])->[0] || {};
is($k->{kty}, 'RSA', 'kty RSA');
is($k->{kid}, 'rs2', 'kid rs2');
ok($k->{n} && $k->{e}, 'n and e');
is(Crypt::PK::RSA->new(\encode_json($k))->export_key_jwk_thumbprint('SHA256'),
   Crypt::PK::RSA->new("$keys/rsa2.pub")->export_key_jwk_thumbprint('SHA256'),
   'the public half of rsa2.key');
my $rtok = login('rs');
($hd, $cl) = eval { decode_jwt(token => $rtok, kid_keys => $set,
                               decode_header => 1) };
is(($hd || {})->{alg}, 'RS256', 'RS256 token verifies with the set');

# ------------------------------------------------ HS256 only
($res, $set) = jwks('hs');
is($res->code, 200, 'HS256 location: 200');
is_deeply($set, { keys => [] }, 'HS256 only: an empty set');
my $secret = do { local $/; open my $f, '<', "$keys/hs64.secret"; <$f> };
my $b64 = MIME::Base64::encode_base64url($secret);
unlike($res->decoded_content, qr/\Q$b64\E|"k"/, 'the secret is not there');
ok(login('hs'), 'HS256 login still works');

# ------------------------------------------------ another server
(undef, $set) = jwks('es');
spew("$aux/published.jwks", encode_json($set));
my $h2 = AuthJWT::Instance->new(name => 'sso53b', children => 2,
                                conf => <<"C")->start;
<Location "/p">
    AuthType jwt
    AuthName other
    AuthJWTKey $aux/published.jwks
    Require valid-jwt
</Location>
C
is($h2->get('/p', token => $tok)->code, 200,
   'a second server with the published JWKS accepts the token');
is($h2->get('/p', token => tamper($tok))->code, 401,
   '... and refuses a tampered one');
is($h2->get('/p', token => $rtok)->code, 401,
   '... and a token of a key it was not given');
$h2->stop;
$h->stop;

done_testing();
