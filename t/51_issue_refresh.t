# SPDX-License-Identifier: Apache-2.0
# jwt-refresh and jwt-logout on a private httpd (prefork, shm store,
# ES256 signing key, users from htpasswd -B):
# - token kinds: the refresh token as a Bearer access token is 401
#   (AH70006), the access token as the refresh cookie is refused;
# - rotation: POST with the refresh cookie answers a new access token
#   (verified with Crypt::JWT) and a new refresh cookie of the same
#   family, next generation; the old refresh token is refused at once;
# - reuse detection: presenting an already rotated token is refused AND
#   revokes the family (the newest token is refused too), logged AH70050;
#   another login's family is untouched;
# - jwt-logout: revokes the refresh family (refresh refused after) and
#   the current access token's jti (401 at a protected page), clears both
#   cookies (Max-Age=0); 405 on GET, cross-site 403.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(login_conf users_file spew cookies_of tokens_of);
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::ECC;
use File::Temp qw(tempdir);
use JSON;

my $keys = AuthJWT::Instance::keys_dir();
my $pub = Crypt::PK::ECC->new("$keys/ec256.pub");

my $aux = tempdir('ajwt-sso51-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my %pw = (alice => 'alice-pw', bob => 'bob-pw');
users_file("$aux/users", \%pw);
spew("$aux/roles", "admin: alice\n");

my $h = AuthJWT::Instance->new(name => 'sso51', children => 3,
    conf => "AuthJWTRevocationStore shm\n"
          . login_conf(users => "$aux/users",
                       root => ["AuthJWTRoleFile $aux/roles"]));
$h->start;
my $origin = 'http://127.0.0.1:' . $h->port;

sub req { $h->request(@_) }
sub json_of { my $b = eval { decode_json($_[0]->decoded_content) }; $b }
sub claims {
    my ($hdr, $c) = eval { decode_jwt(token => $_[0] // '', key => $pub,
                                      decode_header => 1) };
    return $c || {};
}
# login: (access token, refresh token)
sub login { tokens_of($h->login($_[0], $pw{$_[0]})) }
# POST /auth/refresh with a refresh token: (response, new access, new rt)
sub refresh {
    my $res = $h->refresh(@_);
    return ($res, tokens_of($res));
}

my ($at, $rt) = login('alice');
ok($at && $rt, 'alice logged in: access and refresh token');

# ---------------------------------------------------- token kinds
my $mark = $h->log_mark;
my $res = req(GET => '/p', token => $rt);
is($res->code, 401, 'refresh token as Bearer access token: 401');
like($res->header('WWW-Authenticate') || '', qr/invalid_token/,
     '... invalid_token');
like($h->log_since($mark), qr/AH70006/, '... refused for its typ (AH70006)');
is(req(GET => '/p', cookie => "jwt=$rt")->code, 401,
   'refresh token as the access cookie: 401');
my ($r2, $a2, $n2) = refresh($at);
is($r2->code, 401, 'access token as the refresh cookie: 401');
ok(!$a2 && !$n2, '... no new tokens');
is(req(GET => '/p', token => $at)->code, 200,
   'the access token itself still works');

# ---------------------------------------------------- rotation
($res, my $at_1, my $rt_1) = refresh($rt);
is($res->code, 200, 'refresh: 200');
like($res->header('Content-Type') || '', qr{^application/json},
     'refresh: JSON answer');
is((json_of($res) || {})->{token_type}, 'Bearer', 'refresh: token_type');
my $c1 = claims($at_1);
is($c1->{sub}, 'alice', 'new access token verifies, sub alice');
is_deeply($c1->{roles}, ['admin'], 'new access token keeps the roles');
ok($c1->{jti} && $c1->{jti} ne claims($at)->{jti}, 'new access jti');
is(cookies_of($res)->{jwt}{value}, $at_1, 'access cookie = new token');
like(cookies_of($res)->{jwt}{attrs}, qr/^; Path=\/; Max-Age=900; HttpOnly;/,
     'access cookie attributes');
ok($rt_1 && $rt_1 ne $rt, 'a new refresh cookie, different');
like(cookies_of($res)->{jwt_refresh}{attrs},
     qr/^; Path=\/auth\/refresh; Max-Age=1209600; HttpOnly; Secure; SameSite=Strict$/,
     'new refresh cookie attributes');
my ($o, $n) = (claims($rt), claims($rt_1));
is($n->{fam}, $o->{fam}, 'same family');
is($n->{gen}, $o->{gen} + 1, 'next generation');
is(req(GET => '/p', token => $at_1)->code, 200, 'new access token works');

($res, my $at_2, my $rt_2) = refresh($rt_1);
is($res->code, 200, 'second rotation: 200');
is(claims($rt_2)->{gen}, 3, '... generation 3');

# ---------------------------------------------------- reuse detection
my ($at_b, $rt_b) = login('bob');        # another family, untouched
$mark = $h->log_mark;
($res) = refresh($rt);
is($res->code, 401, 'the first (rotated) refresh token again: refused');
my $c = cookies_of($res);
ok(!$c->{jwt_refresh} || $c->{jwt_refresh}{value} eq '',
   '... no new refresh token');
my $log = $h->log_since($mark);
like($log, qr/AH70050: .*sub alice/, 'reuse logged (AH70050) naming sub');
unlike($log, qr/\Q$rt\E/, 'the token is not logged');
($res) = refresh($rt_2);
is($res->code, 401, 'family revoked: the newest refresh token refused too');
($res) = refresh($rt_1);
is($res->code, 401, 'and the middle one');
($res, undef, my $rt_b2) = refresh($rt_b);
is($res->code, 200, "another login's family still rotates");

# a fresh login after reuse works again
my ($at3, $rt3) = login('alice');
($res, undef, my $rt3b) = refresh($rt3);
is($res->code, 200, 'a new login of the same user starts a good family');

# ---------------------------------------------------- refresh refusals
$res = req(POST => '/auth/refresh');
is($res->code, 401, 'no refresh cookie: 401');
like($res->header('Content-Type') || '', qr{json}, '... JSON error');
is(req(PUT => '/auth/refresh', cookie => "jwt_refresh=$rt3b")->code, 405,
   'PUT: 405');
($res) = refresh($rt3b, headers => [[Origin => 'http://evil.example']]);
is($res->code, 403, 'cross-site POST: 403');
($res) = refresh('x' . $rt3b);
is($res->code, 401, 'a mangled refresh token: 401');
(my $tampered = $rt3b) =~ s/\.([^.]*)\.([^.]*)$/'.' . $1 . 'A.' . $2/e;
($res) = refresh($tampered);
is($res->code, 401, 'a tampered refresh token: 401');
($res) = refresh($rt3b, headers => [[Origin => $origin]]);
is($res->code, 200, 'same-origin POST with the good token: 200 '
                    . '(refusals did not burn it)');

# ---------------------------------------------------- logout
my ($la, $lr) = login('alice');
is(req(GET => '/p', token => $la)->code, 200, 'before logout: 200');
is(req(GET => '/auth/refresh/logout')->code, 405, 'logout GET: 405');
is(req(POST => '/auth/refresh/logout', cookie => "jwt=$la; jwt_refresh=$lr",
       headers => [[Origin => 'http://evil.example']])->code, 403,
   'cross-site logout: 403');
is(req(GET => '/p', token => $la)->code, 200,
   'refused logout revoked nothing');
$mark = $h->log_mark;
$res = req(POST => '/auth/refresh/logout',
           cookie => "jwt=$la; jwt_refresh=$lr");
is($res->code, 200, 'logout: 200');
is_deeply(json_of($res), { logged_out => JSON::true }, 'logout: JSON');
$c = cookies_of($res);
is($c->{jwt} && $c->{jwt}{value}, '', 'access cookie cleared');
like($c->{jwt} ? $c->{jwt}{attrs} : '', qr/^; Path=\/; Max-Age=0;/,
     '... Path=/; Max-Age=0');
is($c->{jwt_refresh} && $c->{jwt_refresh}{value}, '', 'refresh cookie cleared');
like($c->{jwt_refresh} ? $c->{jwt_refresh}{attrs} : '',
     qr/^; Path=\/auth\/refresh; Max-Age=0;/, '... its Path, Max-Age=0');
like($h->log_since($mark), qr/AH70052: jwt-logout: alice logged out/,
     'logout logged (AH70052)');
$res = req(GET => '/p', token => $la);
is($res->code, 401, 'after logout: the access token is refused (jti)');
($res) = refresh($lr);
is($res->code, 401, 'after logout: the refresh token is refused (family)');
is(req(GET => '/p', token => $at_b)->code, 200,
   "another session's access token still works");
is(req(GET => '/p', token => $at_1)->code, 401,
   'an access token of the family revoked for reuse: 401 (its sid)');

# logout with the access token in the Authorization header
my ($ha, $hr) = login('bob');
$res = req(POST => '/auth/refresh/logout', token => $ha,
           cookie => "jwt_refresh=$hr");
is($res->code, 200, 'logout with a Bearer header: 200');
is(req(GET => '/p', token => $ha)->code, 401, '... that token revoked');
($res) = refresh($hr);
is($res->code, 401, '... and the family');

# logout without any token still clears cookies
$res = req(POST => '/auth/refresh/logout');
is($res->code, 200, 'logout without tokens: 200');
is(scalar(() = $res->header('Set-Cookie')), 2, '... clears both cookies');

$h->stop;
done_testing();
