# SPDX-License-Identifier: Apache-2.0
# AuthJWTDiscoveryURL against a local HTTPS provider: the OpenID Connect
# discovery document supplies jwks_uri (where the keys are fetched) and
# issuer (the expected iss, unless AuthJWTIssuer says otherwise); a
# document that names no usable jwks_uri gives no keys (503). What needs
# the unknown-kid refresh (a rotation that moves jwks_uri, a document
# broken later) is in t/31_jwks_url.t, which waits out the 60 s limit once
# for all such scenarios.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir make_ca make_cert spew slurp jwk jwks_json
                         wait_until);
use JSON ();

my $top = "$FindBin::Bin/..";
plan skip_all => 'AuthJWTDiscoveryURL not declared by mod_auth_jwt*.c yet'
    unless join("", map { slurp($_) } glob("$top/mod_auth_jwt*.c")) =~ /"AuthJWTDiscoveryURL"/;

my $dir = tmpdir();
my $k = keys_dir();
my $ca = make_ca($dir, 'ca');
my $idp = AuthJWT::Provider->idp(cert => make_cert($dir, 'idp', $ca));
ok($idp->start, 'HTTPS provider starts') or diag($idp->stderr);

my $ISS = 'https://login.example.test/realms/main';
my %jwk = (
    A => jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
    B => jwk("$k/rsa2.pub", kid => 'B', use => 'sig', alg => 'RS256'),
    E => jwk("$k/ec256.pub", kid => 'E', use => 'sig', alg => 'ES256'),
);
my %signer = (A => ['RS256', 'rsa'], B => ['RS256', 'rsa2'],
              E => ['ES256', 'ec256']);

sub doc {
    my ($name, %o) = @_;
    my %d = (
        issuer => $ISS,
        authorization_endpoint => "$ISS/protocol/openid-connect/auth",
        token_endpoint => "$ISS/protocol/openid-connect/token",
        userinfo_endpoint => "$ISS/protocol/openid-connect/userinfo",
        response_types_supported => [qw(code id_token token)],
        subject_types_supported => ['public'],
        id_token_signing_alg_values_supported => [qw(RS256 ES256)],
        %o,
    );
    delete $d{$_} for grep { !defined $d{$_} } keys %d;
    $idp->set($name, body => JSON->new->canonical->encode(\%d));
}

sub tok {
    my ($kid, %c) = @_;
    my ($alg, $key) = @{ $signer{$kid} || ['RS256', 'evil-rsa'] };
    return mint(alg => $alg, key => $key,
                header => { kid => $kid, typ => 'JWT' },
                claims => { iss => $ISS, %c });
}

# Documents: a good one; one whose keys move later; broken ones.
$idp->set('keys-1.json', body => jwks_json($jwk{A}, $jwk{E}));
doc('good/.well-known/openid-configuration',
    jwks_uri => $idp->url('/keys-1.json'));
doc('plain-http/.well-known/openid-configuration',
    jwks_uri => 'http://127.0.0.1:' . $idp->port . '/keys-1.json');
doc('no-jwks-uri/.well-known/openid-configuration', jwks_uri => undef);
$idp->set('not-json/.well-known/openid-configuration',
          body => '<html>Not Found</html>', type => 'text/html');

my $cfg = sub {
    my ($loc, $disco, @more) = @_;
    return ("<Location \"/$loc/\">", 'AuthType jwt', 'AuthName idp',
            'AuthJWTDiscoveryURL '
              . $idp->url("/$disco/.well-known/openid-configuration"),
            "AuthJWTJwksCA $ca->{crt}",
            'Require valid-jwt', 'AuthzSendForbiddenOnFailure On', @more,
            '</Location>');
};
my @locs = qw(good explicit plain-http no-jwks-uri not-json);
my $m = $idp->access_mark;
my $h = AuthJWT::Provider->module(conf => [
    $cfg->('good', 'good'),
    # an explicit AuthJWTIssuer wins over the document's issuer
    $cfg->('explicit', 'good', 'AuthJWTIssuer https://other.example.test'),
    $cfg->('plain-http', 'plain-http'),
    $cfg->('no-jwks-uri', 'no-jwks-uri'),
    $cfg->('not-json', 'not-json'),
]);
$h->doc("$_/ok.txt", "$_\n") for @locs;
ok($h->start, 'httpd with discovery locations starts')
    or diag($h->stderr . $h->error_log);

sub code { $h->get("/$_[0]/ok.txt", $_[1])->code }

# ------------------------------------------------------------ good
is($idp->hits('/good/.well-known/openid-configuration', $m), 1,
   'start-up fetched the discovery document once');
is($idp->hits('/keys-1.json', $m), 1,
   'start-up fetched the jwks_uri it names once');
is(code('good', tok('A')), 200, 'iss of the document, RSA kid A: 200');
is(code('good', tok('E')), 200, 'iss of the document, EC kid E: 200');
{
    my $lm = $h->log_mark;
    is(code('good', tok('A', iss => 'https://login.example.test/realms/other')),
       401, 'another iss: 401');
    like($h->log_since($lm), qr/AH70013:/, '... issuer refused in the log');
    $lm = $h->log_mark;
    is(code('good', tok('A', iss => undef)), 401, 'no iss at all: 401');
    like($h->log_since($lm), qr/AH700(?:09|13):/, '... refused in the log');
}
is(code('good', tok('A', iss => "$ISS/")), 401,
   'iss with a trailing slash added: 401 (exact match)');

# ------------------------------------------------------- explicit issuer
is(code('explicit', tok('A')), 401,
   'AuthJWTIssuer set: the document\'s issuer no longer accepted');
is(code('explicit', tok('A', iss => 'https://other.example.test')), 200,
   'AuthJWTIssuer set: its own issuer accepted');

# ------------------------------------------- documents giving no keys
for my $loc (qw(plain-http no-jwks-uri not-json)) {
    my $lm = $h->log_mark;
    my $r = $h->get("/$loc/ok.txt", tok("A"));
    is($r->code, 503, "$loc: no keys, 503");
    like($h->log_since($lm), qr/AH70032:/, "$loc: no keys yet, logged");
}

$h->stop;
$idp->stop;
done_testing;
