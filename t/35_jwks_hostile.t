# SPDX-License-Identifier: Apache-2.0
# Fetched keys obey the same rules as configured ones: a JWK's own alg,
# use and key_ops restrict it; weak RSA keys never verify; a JWK Set that
# slips a secret (oct) key in gives no HMAC key to forge with; the RSA
# public key used as an HMAC secret (algorithm confusion) is refused.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir make_ca make_cert slurp jwk jwks_json);

my $top = "$FindBin::Bin/..";
plan skip_all => 'AuthJWTJwksURL not declared by mod_auth_jwt*.c yet'
    unless join("", map { slurp($_) } glob("$top/mod_auth_jwt*.c")) =~ /"AuthJWTJwksURL"/;

my $dir = tmpdir();
my $k = keys_dir();
my $ca = make_ca($dir, 'ca');
my $idp = AuthJWT::Provider->idp(cert => make_cert($dir, 'idp', $ca));
ok($idp->start, 'HTTPS provider starts') or diag($idp->stderr);

my $secret = 'q' x 64;
my %set = (
    restrict => jwks_json(
        jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
        jwk("$k/rsa2.pub", kid => 'enc', use => 'enc'),
        jwk("$k/ec256.pub", kid => 'ops-enc', key_ops => ['encrypt']),
        jwk("$k/ec384.pub", kid => 'ops-verify', key_ops => ['verify']),
        jwk("$k/evil-rsa.pub", kid => 'rs512', alg => 'RS512')),
    weak => jwks_json(
        jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
        jwk("$k/rsa1024.pub", kid => 'W', use => 'sig', alg => 'RS256')),
    oct => jwks_json(
        jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
        { kty => 'oct', kid => 'S', k => b64u($secret), alg => 'HS256' }),
);
$idp->set("$_.json", body => $set{$_}) for keys %set;

my @conf;
for my $n (sort keys %set) {
    push @conf, "<Location \"/$n/\">", 'AuthType jwt', "AuthName $n",
        'AuthJWTJwksURL ' . $idp->url("/$n.json"),
        "AuthJWTJwksCA $ca->{crt}",
        'Require valid-jwt', 'AuthzSendForbiddenOnFailure On', '</Location>';
}
my $h = AuthJWT::Provider->module(conf => \@conf);
$h->doc("$_/ok.txt") for keys %set;
ok($h->start, 'httpd starts') or diag($h->stderr . $h->error_log);

sub code { $h->get("/$_[0]/ok.txt", $_[1])->code }
sub tok {
    my ($alg, $key, $kid) = @_;
    mint(alg => $alg, key => $key, header => { kid => $kid, typ => 'JWT' });
}

# ----------------------------------------------- alg, use, key_ops
is(code('restrict', tok('RS256', 'rsa', 'A')), 200, 'restrict: kid A');
is(code('restrict', tok('PS256', 'rsa', 'A')), 401,
   'restrict: kid A (alg RS256) with PS256: 401');
is(code('restrict', tok('RS256', 'rsa2', 'enc')), 401,
   'restrict: "use": "enc" key never verifies');
is(code('restrict', tok('ES256', 'ec256', 'ops-enc')), 401,
   'restrict: key_ops [encrypt] never verifies');
is(code('restrict', tok('ES384', 'ec384', 'ops-verify')), 200,
   'restrict: key_ops [verify] verifies');
is(code('restrict', tok('RS256', 'evil-rsa', 'rs512')), 401,
   'restrict: "alg": "RS512" key with RS256: 401');
is(code('restrict', tok('RS512', 'evil-rsa', 'rs512')), 200,
   'restrict: "alg": "RS512" key with RS512: 200');

# ------------------------------------------------------ weak RSA
{
    my $c = code('weak', tok('RS256', 'rsa1024', 'W'));
    isnt($c, 200, "weak: a 1024-bit RSA key never verifies ($c)");
    my $a = code('weak', tok('RS256', 'rsa', 'A'));
    ok($a == 200 || $a == 503,
       "weak: the good key beside it: 200, or 503 if the set is refused "
       . "whole ($a)");
}

# ---------------------------------------------------- oct smuggled
{
    my $forged = sign_raw('HS256', "raw:$secret",
                          { alg => 'HS256', kid => 'S', typ => 'JWT' },
                          { sub => 'mallory', exp => NOW + 600 });
    my $c = code('oct', $forged);
    isnt($c, 200, "oct: an HS256 token made with the published secret ($c)");
    is(code('oct', tok('RS256', 'rsa', 'A')), 503,
       'oct: the JWK Set is refused whole: no keys, 503');
}

# ------------------------------------------------ algorithm confusion
{
    my $pem = slurp("$k/rsa.pub");
    for my $alg (qw(HS256 HS384 HS512)) {
        my $t = sign_raw($alg, "raw:$pem",
                         { alg => $alg, kid => 'A', typ => 'JWT' },
                         { sub => 'mallory', exp => NOW + 600 });
        is(code('restrict', $t), 401,
           "confusion: $alg signed with the RSA public key as secret");
    }
    my $t = sign_raw('RS256', 'rsa',
                     { alg => 'none', kid => 'A', typ => 'JWT' },
                     { sub => 'mallory', exp => NOW + 600 });
    $t =~ s/[^.]+$//;
    is(code('restrict', $t), 401, 'confusion: alg none, no signature');
}

$h->stop;
$idp->stop;
done_testing;
