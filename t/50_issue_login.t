# SPDX-License-Identifier: Apache-2.0
# jwt-login on a private httpd (prefork, shm store, mod_authn_file with
# bcrypt entries from htpasswd -B, AuthJWTRoleFile, ES256 signing key):
# - JSON and form logins: the access token in the JSON body verifies with
#   Crypt::JWT against the public key (typ at+jwt, kid, sub, roles from
#   the role file, iss, aud, client_id, iat, exp = iat + AuthJWTAccessTTL,
#   jti); the access and refresh cookies carry exactly HttpOnly, Secure,
#   SameSite=Strict, their Path and Max-Age; the token opens a protected
#   page and a role-gated one only with the role;
# - failures: a wrong password and an unknown user get the same status
#   and the same body (JSON and form), and take comparable time;
# - lockout (AuthJWTLockout 3 60): the 4th attempt is 429 with
#   Retry-After even with the right password, per account (from another
#   address) and per client address (another account); a good login
#   clears the account's count; with a 2 s window the lock expires;
#   client addresses told apart by binding 127.0.0.N;
# - 405 on GET, 415, 400 on garbage, cross-site Origin / Sec-Fetch-Site
#   403, same-origin Origin accepted.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(login_conf users_file spew cookies_of);
use Crypt::JWT qw(decode_jwt);
use Crypt::PK::ECC;
use File::Temp qw(tempdir);
use JSON;
use Time::HiRes qw(sleep time);

my $keys = AuthJWT::Instance::keys_dir();
my $pub = Crypt::PK::ECC->new("$keys/ec256.pub");
my $ISS = 'https://sso.test';     # login_conf's issuer
my $AUD = 'sso-app';

# --------------------------------------------------------------- setup
my $aux = tempdir('ajwt-sso50-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my %pw = (alice => 'alice-pw', bob => 'bob-pw', carol => 'carol-pw',
          map { ("lock$_" => "lock$_-pw") } 1 .. 6);
users_file("$aux/users", \%pw);
spew("$aux/roles", "# roles of issued tokens\nadmin: alice\n"
                 . "staff: alice bob\n");

my $conf = "AuthJWTRevocationStore shm\n"
    . login_conf(users => "$aux/users", refresh => 0, logout => 0,
                 root => ["AuthJWTAudience $AUD",
                          "AuthJWTRoleFile $aux/roles"])
    . <<"C";
<Location "/auth/login-lock">
    SetHandler jwt-login
    AuthJWTLockout 3 60
</Location>
<Location "/auth/login-short">
    SetHandler jwt-login
    AuthJWTLockout 3 2
</Location>
<Location "/a">
    AuthType jwt
    AuthName sso
    Require jwt-role admin
    AuthzSendForbiddenOnFailure On
</Location>
C

my $h = AuthJWT::Instance->new(conf => $conf, name => 'sso50',
                               children => 3)->start;
my $origin = 'http://127.0.0.1:' . $h->port;

# A request from client address 127.0.0.$n (default 1).
sub req {
    my ($method, $path, %o) = @_;
    return $h->request($method, $path, from => 1, %o);
}
sub login_json {
    my ($path, $user, $pass, %o) = @_;
    return $h->login($user, $pass, path => $path, from => 1, %o);
}
sub login_form {
    my ($path, @kv) = @_;
    my %o;
    %o = %{ pop @kv } if ref $kv[-1];
    return $h->post_form($path, \@kv, from => 1, %o);
}
sub json_of { my $b = eval { decode_json($_[0]->decoded_content) }; $b }
sub median {
    my @s = sort { $a <=> $b } @_;
    return $s[$#s / 2];
}

# ------------------------------------------------------- JSON login
my $t0 = time;
my $res = login_json('/auth/login', alice => $pw{alice});
is($res->code, 200, 'JSON login: 200');
like($res->header('Content-Type') || '', qr{^application/json},
     'JSON login: application/json answer');
my $body = json_of($res) || {};
ok(defined $body->{access_token}, 'JSON login: access_token in the body');
is($body->{token_type}, 'Bearer', 'JSON login: token_type Bearer');
is($body->{expires_in}, 900, 'JSON login: expires_in = default TTL 900');
my $at = $body->{access_token} || '';
my ($hdr, $cl) = eval { decode_jwt(token => $at, key => $pub,
                                   decode_header => 1,
                                   accepted_alg => 'ES256') };
ok($cl, 'access token verifies with Crypt::JWT and the public key')
    or diag($@);
$hdr ||= {};
$cl ||= {};
is($hdr->{typ}, 'at+jwt', 'header typ at+jwt');
is($hdr->{alg}, 'ES256', 'header alg ES256');
is($hdr->{kid}, 'sso1', 'header kid of the signing key');
is($cl->{sub}, 'alice', 'claim sub');
is_deeply([sort @{ $cl->{roles} || [] }], [qw(admin staff)],
          'claim roles: the groups of the role file that list alice');
is($cl->{iss}, $ISS, 'claim iss = AuthJWTIssuer');
is($cl->{aud}, $AUD, 'claim aud = AuthJWTAudience');
is($cl->{client_id}, $AUD, 'claim client_id (RFC 9068) = aud');
ok(defined $cl->{iat} && abs($cl->{iat} - $t0) <= 3, 'claim iat is now');
is(($cl->{exp} || 0) - ($cl->{iat} || 0), 900, 'exp = iat + 900');
like($cl->{jti} || '', qr/^[A-Za-z0-9_-]{22}$/,
     'claim jti: 128 random bits, base64url');

my $ck = cookies_of($res);
ok($ck->{jwt}, 'access cookie set');
is($ck->{jwt}{value}, $at, 'access cookie holds the same token');
is($ck->{jwt}{attrs}, '; Path=/; Max-Age=900; HttpOnly; Secure; '
                      . 'SameSite=Strict', 'access cookie attributes exactly');
ok($ck->{jwt_refresh}, 'refresh cookie set');
is($ck->{jwt_refresh}{attrs}, '; Path=/auth/refresh; Max-Age=1209600; '
                              . 'HttpOnly; Secure; SameSite=Strict',
   'refresh cookie attributes exactly (scoped to the refresh path)');
my $rt = $ck->{jwt_refresh}{value} || '';
isnt($rt, $at, 'refresh token differs from the access token');
my ($rh, $rc) = eval { decode_jwt(token => $rt, key => $pub,
                                  decode_header => 1) };
is(($rh || {})->{typ}, 'refresh+jwt', 'refresh token typ refresh+jwt');
is(($rc || {})->{sub}, 'alice', 'refresh token sub');
is(($rc || {})->{gen}, 1, 'refresh token generation 1');
like(($rc || {})->{fam} || '', qr/^[A-Za-z0-9_-]{22}$/,
     'refresh token names its family');
is(($rc || {})->{exp} - ($rc || {})->{iat}, 1209600,
   'refresh exp = iat + default refresh TTL');

is(req(GET => '/p', token => $at)->code, 200,
   'issued access token opens a protected page');
is(req(GET => '/a', token => $at)->code, 200,
   'alice (admin) passes Require jwt-role admin');

# bob: staff only
$res = login_json('/auth/login', bob => $pw{bob});
is($res->code, 200, 'bob logs in');
my $bt = (json_of($res) || {})->{access_token};
my (undef, $bc) = eval { decode_jwt(token => $bt, key => $pub,
                                    decode_header => 1) };
is_deeply(($bc || {})->{roles}, ['staff'], 'bob: roles [staff]');
my $r403 = req(GET => '/a', token => $bt);
is($r403->code, 403, 'bob (no admin role) 403 at the admin area');
like($r403->header('WWW-Authenticate') || '', qr/insufficient_scope/,
     '403 says insufficient_scope');
# carol: in no group
$res = login_json('/auth/login', carol => $pw{carol});
my (undef, $cc) = eval { decode_jwt(
    token => (json_of($res) || {})->{access_token}, key => $pub,
    decode_header => 1) };
is_deeply(($cc || {})->{roles}, [], 'carol (no group): roles []');

# two logins: different jti and family
my $at2 = (json_of(login_json('/auth/login', alice => $pw{alice})) || {})
          ->{access_token};
my (undef, $cl2) = eval { decode_jwt(token => $at2, key => $pub,
                                     decode_header => 1) };
ok($cl2 && $cl2->{jti} && $cl->{jti} && $cl2->{jti} ne $cl->{jti},
   'each login a new jti');

# ------------------------------------------------------- form login
$res = login_form('/auth/login', username => 'alice',
                  password => $pw{alice}, return => '/p?x=1');
is($res->code, 303, 'form login: 303');
is($res->header('Location'), '/p?x=1', 'form login: to the return address');
$ck = cookies_of($res);
ok($ck->{jwt} && $ck->{jwt_refresh}, 'form login: both cookies');
is(req(GET => '/p', token => $ck->{jwt}{value})->code, 200,
   'form login cookie token opens /p');
$res = login_form('/auth/login', username => 'bob', password => $pw{bob});
is($res->code, 303, 'form login without return: 303');
is($res->header('Location'), '/', 'form login without return: to /');

# ------------------------------------------------------- failures
my $mark = $h->log_mark;
my $wrong = login_json('/auth/login', alice => 'not-her-password');
my $nouser = login_json('/auth/login', 'no-such-user' => 'whatever');
is($wrong->code, 401, 'wrong password: 401');
is($nouser->code, 401, 'unknown user: 401');
is($nouser->decoded_content, $wrong->decoded_content,
   'unknown user and wrong password: the same body');
is($nouser->header('Content-Type'), $wrong->header('Content-Type'),
   'unknown user and wrong password: the same content type');
ok(!$wrong->header('Set-Cookie') && !$nouser->header('Set-Cookie'),
   'failed logins set no cookie');
unlike($wrong->decoded_content . $nouser->decoded_content,
       qr/eyJ|not-her-password/, 'no token or password in the answers');
my $fw = login_form('/auth/login', username => 'alice', password => 'nope',
                    return => '/p');
my $fn = login_form('/auth/login', username => 'ghost', password => 'nope',
                    return => '/p');
is($fw->code, 401, 'form, wrong password: 401');
is($fn->code, 401, 'form, unknown user: 401');
is($fn->decoded_content, $fw->decoded_content,
   'form: unknown user and wrong password, the same body');
my $log = $h->log_since($mark);
like($log, qr/AH70047: .*"alice"/, 'failed login logged (AH70047)');
unlike($log, qr/not-her-password/, 'the password is never logged');

# timing: the unknown user costs a bcrypt check too
my (@tw, @tn);
for (1 .. 5) {
    my $s = time;
    login_json('/auth/login', alice => 'wrong-' . $_);
    push @tw, time - $s;
    $s = time;
    login_json('/auth/login', "ghost$_" => 'wrong');
    push @tn, time - $s;
}
my ($mw, $mn) = (median(@tw), median(@tn));
diag(sprintf 'median wrong password %.1f ms, unknown user %.1f ms',
     $mw * 1000, $mn * 1000);
cmp_ok($mn, '>=', 0.5 * $mw,
       'unknown user at least half as slow as a wrong password');
cmp_ok($mn, '<=', 3 * $mw + 0.005,
       'unknown user not much slower than a wrong password '
       . '(htpasswd -B default cost)');

# ------------------------------------------------------- bad requests
$res = req(GET => '/auth/login');
is($res->code, 405, 'GET: 405');
like($res->header('Allow') || '', qr/POST/, '405 names POST in Allow');
is(req(POST => '/auth/login', type => 'text/plain',
       body => 'username=alice')->code, 415, 'text/plain: 415');
is(req(POST => '/auth/login', type => 'application/json',
       body => '{"username":"alice","password":')->code, 400,
   'truncated JSON: 400');
is(req(POST => '/auth/login', type => 'application/json',
       body => "\x00\xff garbage")->code, 400, 'binary garbage: 400');
is(req(POST => '/auth/login', type => 'application/json',
       body => '["alice","alice-pw"]')->code, 400, 'JSON array: 400');
is(req(POST => '/auth/login', type => 'application/json',
       body => '{"username":"alice"}')->code, 400, 'no password: 400');
is(login_form('/auth/login', username => "ali\nce",
              password => 'x')->code, 400, 'control character: 400');
is(login_json('/auth/login', alice => $pw{alice},
              headers => [[Origin => 'http://evil.example']])->code, 403,
   'cross-site Origin: 403');
$res = login_form('/auth/login', username => 'alice', password => $pw{alice},
                  { headers => [['Sec-Fetch-Site' => 'cross-site']] });
is($res->code, 403, 'Sec-Fetch-Site cross-site: 403');
ok(!$res->header('Set-Cookie'), 'refused cross-site login sets no cookie');
is(login_json('/auth/login', alice => $pw{alice},
              headers => [[Origin => $origin]])->code, 200,
   'same-origin Origin: 200');
is(login_json('/auth/login', alice => $pw{alice},
              headers => [['Sec-Fetch-Site' => 'same-origin']])->code, 200,
   'Sec-Fetch-Site same-origin: 200');

# ------------------------------------------------------- lockout
# The 2 s window first (its counters are gone before the 60 s ones).
# Each block uses its own client addresses and accounts.
{
    my @c = map { login_json('/auth/login-short', lock6 => 'bad', from => 9)
                  ->code } 1 .. 3;
    is("@c", '401 401 401', 'short window: 3 failures 401');
    $res = login_json('/auth/login-short', lock6 => $pw{lock6}, from => 9);
    is($res->code, 429, 'short window: locked, even the right password');
    my $ra = $res->header('Retry-After') || 0;
    ok($ra >= 1 && $ra <= 2, "short window: Retry-After $ra within 1..2");
    sleep 2.6;
    is(login_json('/auth/login-short', lock6 => $pw{lock6}, from => 9)->code,
       200, 'after the window: the right password logs in');
}

$mark = $h->log_mark;
my @c = map { login_json('/auth/login-lock', lock1 => "bad$_", from => 2)
              ->code } 1 .. 3;
is("@c", '401 401 401', 'lockout: 3 failures are 401');
$res = login_json('/auth/login-lock', lock1 => $pw{lock1}, from => 2);
is($res->code, 429, '4th attempt, right password: 429');
my $ra = $res->header('Retry-After');
ok(defined $ra && $ra =~ /^\d+$/ && $ra >= 1 && $ra <= 60,
   'Retry-After is 1..60 s: ' . ($ra // 'none'));
ok(!$res->header('Set-Cookie'), 'locked: no cookie');
like($h->log_since($mark), qr/AH70042/, 'lockout logged (AH70042)');
is(login_json('/auth/login-lock', lock1 => $pw{lock1}, from => 3)->code, 429,
   'per account: locked from another address too');
is(login_json('/auth/login-lock', lock2 => $pw{lock2}, from => 2)->code, 429,
   'per address: another account from the same address locked');
$res = login_form('/auth/login-lock', username => 'lock2',
                  password => $pw{lock2}, { from => 2 });
is($res->code, 429, 'per address: form login locked too');
ok($res->header('Retry-After'), 'form 429 has Retry-After');
is(login_json('/auth/login-lock', lock3 => $pw{lock3}, from => 4)->code, 200,
   'another account from another address is not locked');
# a good login clears the account's count (not the address's)
@c = map { login_json('/auth/login-lock', lock4 => 'bad', from => 5)->code }
     1 .. 2;
push @c, login_json('/auth/login-lock', lock4 => $pw{lock4}, from => 5)->code;
is("@c", '401 401 200', '2 failures, then the right password');
@c = map { login_json('/auth/login-lock', lock4 => 'bad', from => 6)->code }
     1 .. 2;
push @c, login_json('/auth/login-lock', lock4 => $pw{lock4}, from => 6)->code;
is("@c", '401 401 200', 'the account count was cleared by the good login');
# an unknown account is counted and locked like a real one
@c = map { login_json('/auth/login-lock', ghost => 'bad', from => 7)->code }
     1 .. 4;
is("@c", '401 401 401 429', 'unknown account locks after 3 the same way');
# the plain location (no AuthJWTLockout) is not affected by the counters
is(login_json('/auth/login', lock1 => $pw{lock1}, from => 2)->code, 200,
   'without AuthJWTLockout the same account and address log in');

$h->stop;
done_testing();
