# SPDX-License-Identifier: Apache-2.0
# Rotating the signing key without logging anyone out (docs/runbooks.md,
# runbook 2), on a private prefork httpd with the shm store, through
# graceful restarts:
#   1. sign with A (ES256, kid sso1): alice and bob log in;
#   2. sign with B (RS256, kid sso2) alone: A's refresh cookie is 401 and
#      its access token too (nobody keeps A);
#   3. sign with B and AuthJWTRetiredSignKey A (its public key file): a
#      refresh token with alice's family and generation signed by an
#      AuthJWTKey that is no signing key (kid x, or kid sso1) is refused;
#      A's refresh cookie answers 200 with new tokens of kid sso2 (checked
#      with Crypt::JWT against B's public key), which refresh again; A's
#      access token is 200; jwt-jwks publishes sso1 and sso2;
#   4. bad lines stop httpd -t naming the directive and line: the sign
#      key's kid (either order), a kid twice, an ALG that does not fit,
#      no kid;
#   5. the retired line removed: bob's refresh cookie of A is 401 (log in
#      again), alice's rotated session goes on.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(login_conf users_file tokens_of);
use Crypt::JWT qw(decode_jwt encode_jwt);
use Crypt::PK::ECC;
use Crypt::PK::RSA;
use JSON;
use MIME::Base64 qw(decode_base64url);

plan skip_all => 'htpasswd missing (apache2-utils)'
    unless `htpasswd 2>&1` =~ /Usage/;

my $keys = AuthJWT::Instance::keys_dir();
my $h = AuthJWT::Instance->new(name => 'signrot', children => 3);
my $users = users_file($h->dir . '/users',
                       { alice => 'pw-a', bob => 'pw-b' }, cost => 4);

my $sign_a = "AuthJWTSignKey $keys/ec256.key ES256 sso1";
my $sign_b = "AuthJWTSignKey $keys/rsa2.key RS256 sso2";
my $retire_a = "AuthJWTRetiredSignKey $keys/ec256.pub ES256 sso1";
my $other = "AuthJWTKey $keys/evil-ec256.pub x";

# conf(LINES at "/"): login_conf with its sign key line replaced by LINES
sub conf {
    my $lines = join "\n    ", @_;
    my $c = login_conf(users => $users);
    $c =~ s/\Q$sign_a\E/$lines/ or die 'login_conf changed: no sign key';
    return "AuthJWTRevocationStore shm\n$c"
         . "<Location /jwks>\n    SetHandler jwt-jwks\n</Location>\n";
}
sub header_of {
    my ($t) = split /\./, shift // '';
    return eval { decode_json(decode_base64url($t)) } || {};
}
sub claims_of {
    my (undef, $p) = split /\./, shift // '';
    return eval { decode_json(decode_base64url($p)) } || {};
}
sub regraceful {
    $h->{conf} = conf(@_);
    my ($rc, $out) = $h->configtest;
    die "httpd -t: $out" if $rc;
    $h->graceful;
}

# --- 1. key A signs ------------------------------------------------------
$h->{conf} = conf($sign_a);
$h->start;
my ($at_a, $rt_a) = tokens_of($h->login('alice', 'pw-a'));
my ($at_bob, $rt_bob) = tokens_of($h->login('bob', 'pw-b'));
ok($at_a && $rt_a && $rt_bob, 'alice and bob logged in under A');
is(header_of($rt_a)->{kid}, 'sso1', "A's refresh token has kid sso1");
is($h->get('/p', token => $at_a)->code, 200, "A's access token: 200");

# --- 2. B alone: everybody is logged out -----------------------------------
regraceful($sign_b);
my $mark = $h->log_mark;
is($h->refresh($rt_a)->code, 401, 'B alone: refresh cookie of A 401');
like($h->log_since($mark), qr/jwt-refresh|refresh token/,
     'the refusal is logged');
is($h->get('/p', token => $at_a)->code, 401, 'B alone: A access token 401');

# --- 3. B signs, A retired ---------------------------------------------------
regraceful($sign_b, $retire_a, $other);
# alice's live family and generation, signed by a key that only verifies
my %rc = %{ claims_of($rt_a) };
my $evil = Crypt::PK::ECC->new("$keys/evil-ec256.key");
for my $kid (qw(x sso1)) {
    my $forged = encode_jwt(payload => \%rc, alg => 'ES256', key => $evil,
                            extra_headers => { kid => $kid,
                                               typ => 'refresh+jwt' });
    is($h->refresh($forged)->code, 401,
       "refresh token of an AuthJWTKey (kid $kid) refused");
}
is($h->get('/p', token => $at_a)->code, 200,
   'A retired: A access token 200');
my $r = $h->refresh($rt_a);
is($r->code, 200, 'A retired: refresh cookie of A 200');
my ($at_b, $rt_b) = tokens_of($r);
is(header_of($at_b)->{kid}, 'sso2', 'new access token: kid sso2');
is(header_of($rt_b)->{kid}, 'sso2', 'new refresh token: kid sso2');
my $bpub = Crypt::PK::RSA->new("$keys/rsa2.pub");
my $cl = eval { decode_jwt(token => $at_b, key => $bpub,
                           accepted_alg => 'RS256') };
is(ref $cl && $cl->{sub}, 'alice', "new access token verifies with B's "
   . 'public key (Crypt::JWT)');
is(claims_of($rt_b)->{fam}, $rc{fam}, 'same family');
is(claims_of($rt_b)->{gen}, $rc{gen} + 1, 'next generation');
is($h->get('/p', token => $at_b)->code, 200, "B's access token: 200");
my ($at_b2, $rt_b2) = tokens_of(my $r2 = $h->refresh($rt_b));
is($r2->code, 200, "B's refresh token refreshes");
my $jw = eval { decode_json($h->get('/jwks')->decoded_content) } || {};
my %kids = map { ($_->{kid} // '') => $_ } @{ $jw->{keys} || [] };
ok($kids{sso1} && $kids{sso2}, 'jwt-jwks publishes sso1 and sso2');
is($kids{sso1} && $kids{sso1}{kty}, 'EC', 'sso1 as EC');
ok(!grep({ exists $_->{d} } values %kids), 'no private member');

# --- 4. bad lines ------------------------------------------------------------
my $saved = $h->{conf};
for my $case (
    [ 'kid of the sign key', "AuthJWTRetiredSignKey $keys/ec256.pub ES256 "
      . 'sso2', qr/AuthJWTRetiredSignKey: kid 'sso2' is the AuthJWTSignKey/ ],
    [ 'kid twice', "$retire_a\n    AuthJWTRetiredSignKey $keys/ec384.pub "
      . 'ES384 sso1', qr/AuthJWTRetiredSignKey: kid 'sso1' given twice/ ],
    [ 'ALG does not fit', "AuthJWTRetiredSignKey $keys/ec256.pub RS256 old",
      qr/AuthJWTRetiredSignKey: .*RS256/ ],
    [ 'no kid', "AuthJWTRetiredSignKey $keys/ec256.pub ES256",
      qr/AuthJWTRetiredSignKey/ ],
    ) {
    my ($what, $line, $want) = @$case;
    $h->{conf} = conf($sign_b, $line);
    my ($rc, $out) = $h->configtest;
    isnt($rc, 0, "httpd -t fails: $what");
    like($out, qr/line \d+ of .*httpd\.conf|line \d+/, "$what: names the line");
    like($out, $want, "$what: says why") or diag($out);
}
# sign key given after the retired key with the same kid
$h->{conf} = conf($retire_a, "AuthJWTSignKey $keys/rsa2.key RS256 sso1");
my ($rc4, $out4) = $h->configtest;
isnt($rc4, 0, 'httpd -t fails: sign key after a retired key of its kid');
like($out4, qr/AuthJWTSignKey: kid 'sso1' is also an AuthJWTRetiredSignKey/,
     'says why') or diag($out4);
$h->{conf} = $saved;

# --- 5. retired line removed: A is gone ----------------------------------------
regraceful($sign_b);
is($h->refresh($rt_bob)->code, 401, 'retired line removed: bob (A) 401');
is($h->get('/p', token => $at_b2)->code, 200, "alice's session goes on");
my $r3 = $h->refresh($rt_b2);
is($r3->code, 200, "alice's rotated refresh token still refreshes");

done_testing();
