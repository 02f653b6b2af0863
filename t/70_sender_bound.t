# SPDX-License-Identifier: Apache-2.0
# Sender-constrained tokens without their proof: a token bound to a DPoP
# key (cnf.jkt, RFC 9449) sent as Bearer, or to a client certificate
# (cnf.x5t#S256, RFC 8705) on a connection without one, is refused, never
# taken as a bearer token (RFC 9449 7.2), by AuthType jwt and the Basic
# provider alike; so is a cnf naming no method the module checks.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok);
use AuthJWT::Instance qw(jwt_location);
use MIME::Base64 ();

my $mods = AuthJWT::Instance::modules_dir();
my $h = AuthJWT::Instance->new(name => 'sender-bound', conf =>
    "LoadModule auth_basic_module $mods/mod_auth_basic.so\n"
    . "LoadModule authz_user_module $mods/mod_authz_user.so\n"
    . jwt_location('/p', 'Require valid-jwt')
    . "<Location /q>\n    AuthType Basic\n    AuthName b\n"
    . "    AuthBasicProvider jwt\n"
    . "    AuthJWTSecret file:\@KEYS\@/hs64.secret\n"
    . "    Require valid-user\n</Location>\n");
$h->start;
my $jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
my %t = (
    plain    => [tok(), 200],
    jkt      => [tok(cnf => { jkt => $jkt }), 401],
    x5t      => [tok(cnf => { 'x5t#S256' => $jkt }), 401],
    # a cnf without either member: a binding we cannot check, refused
    other    => [tok(cnf => { kid => 'k1' }), 401],
);
for my $n (sort keys %t) {
    my ($tok, $want) = @{ $t{$n} };
    my $r = $h->get('/p', token => $tok);
    is($r->code, $want, "AuthType jwt, $n: $want");
    like(scalar $r->header('WWW-Authenticate') // '', qr/invalid_token/,
         "$n: invalid_token challenge") if $want == 401;
    my $basic = 'Basic ' . MIME::Base64::encode_base64("u:$tok", '');
    is($h->get("/q", headers => [[Authorization => $basic]])->code, $want,
       "Basic provider, $n: $want");
}
like($h->log_since(0), qr/AH70123: token refused \(sender binding refused\): a DPoP-bound token \(cnf.jkt\) presented as a bearer token/,
     'the log says why (DPoP key)');
like($h->log_since(0), qr/AH70123: .*cnf names no confirmation method/,
     'the log says why (unknown cnf)');
like($h->log_since(0), qr/AH70123: .*a certificate-bound token \(cnf.x5t#S256\) without a client certificate/,
     'the log says why (certificate)');
unlike($h->log_since(0), qr/\Q$jkt\E\./, 'no token in the log');
$h->stop;
done_testing;
