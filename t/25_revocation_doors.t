# SPDX-License-Identifier: Apache-2.0
# Every door of the module checks the same revocations, and no revocation
# ends before the tokens it covers (private httpd instances, shm and
# memcached stores, a local HTTPS identity provider):
# - a subject revoked at jwt-revoke: its access tokens are refused, its
#   refresh tokens mint nothing (jwt-refresh checks jti/sub/family like
#   every other door), a new login after it works;
# - a jwt-revoke location with a smaller AuthJWTMaxAge and AuthJWTLeeway
#   than the protected one: subject and jti revocations still hold past
#   them (they live by the server's largest leeway and
#   AuthJWTMaxTokenLifetime);
# - where revocation is checked, a token without iat or living longer than
#   AuthJWTMaxTokenLifetime is refused; a TTL above it stops start-up;
# - jwt-logout ends the session's other access tokens (sid), scope=all
#   ends every session of the user, also on a second server sharing the
#   store; with the store down it answers 503, keeps the cookies, and the
#   session then still works (it said it failed);
# - jwt-revoke token= and jwt-logout verify with a location's fetched
#   keys (AuthJWTJwksURL).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(login_conf users_file spew tokens_of);
use AuthJWT::Faults;
use AuthJWT::Test qw(mint claims_of);
use AuthJWT::Provider qw(tmpdir make_ca make_cert jwk jwks_json);
use File::Temp qw(tempdir);
use JSON;
use Time::HiRes qw(sleep time);

my $keys = AuthJWT::Instance::keys_dir();

my $aux = tempdir('ajwt-doors-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my %pw = (alice => 'alice-pw', bob => 'bob-pw');
users_file("$aux/users", \%pw, cost => 4);
# an HS256 secret for tokens minted here (short exp, no iat...)
spew("$aux/hs.secret", 'k' x 40);

# login_conf: the login service of t/51, with the server-wide bounds of
# this test and its own doors.
sub sso_conf {
    my (%o) = @_;
    my $store = $o{store} || 'shm';
    return <<"C"
AuthJWTRevocationStore $store
AuthJWTMaxTokenLifetime 86400
@{[ $o{extra} // "" ]}
C
        . login_conf(users => "$aux/users", root => ['AuthJWTRefreshTTL 3600'])
        . <<"C";
# the revoke door: smaller leeway and max age than /p and /q
<Location "/revoke">
    SetHandler jwt-revoke
    AuthJWTMaxAge 1
    AuthJWTLeeway 0
</Location>
<Location "/q">
    AuthType jwt
    AuthName hs
    AuthJWTSecret file:$aux/hs.secret
    AuthJWTLeeway 30
    Require valid-jwt
</Location>
<Location "/hrevoke">
    SetHandler jwt-revoke
    AuthJWTSecret file:$aux/hs.secret
    AuthJWTLeeway 0
</Location>
C
}

# ------------------------------------------------------------- helpers
# a request to $h; a body is a form unless type says otherwise
sub req {
    my ($h, $method, $path, %o) = @_;
    $o{type} //= 'application/x-www-form-urlencoded' if defined $o{body};
    return $h->request($method, $path, %o);
}
sub json_of { my $b = eval { decode_json($_[0]->decoded_content) }; $b || {} }
# login: (access token, refresh token)
sub login {
    my ($h, $user) = @_;
    return tokens_of($h->login($user, $pw{$user}));
}
# POST /auth/refresh with a refresh token: (response, new access, new rt)
sub refresh {
    my $res = $_[0]->refresh($_[1]);
    return ($res, tokens_of($res));
}
# the next whole second: a token issued in the revocation's own second
# counts as revoked (same-second rule), so a new login waits for it
sub next_second { my $t = time; sleep(int($t) + 1.05 - $t) }

my $hs_secret = 'k' x 40;
# sub carol, iss https://sso.test, iat now, exp in 600 s; undef: left out
sub hs_token {
    mint(alg => 'HS256', key => "raw:$hs_secret",
         claims => { sub => 'carol', iss => 'https://sso.test', @_ });
}

# ============================================================ shm store
my $h = AuthJWT::Instance->new(name => 'doors', children => 3,
                               conf => sso_conf());
$h->start;

# --- subject revocation reaches the refresh door
my ($at, $rt) = login($h, 'alice');
ok($at && $rt, 'alice logged in');
is(req($h, GET => '/p', token => $at)->code, 200, 'access token: 200');
my $t_revoke = time;
my $res = req($h, POST => '/revoke', body => 'sub=alice');
is($res->code, 200, 'jwt-revoke sub=alice: 200');
my $until = json_of($res)->{until} // 0;
cmp_ok($until - int($t_revoke), '>=', 86400,
       'the entry lives the server-wide max lifetime (not the door\'s '
       . 'max age of 1 s): until - now = ' . ($until - int($t_revoke)));
is(req($h, GET => '/p', token => $at)->code, 401,
   'revoked subject: access token 401');
my $mark = $h->log_mark;
my ($r2, $a2, $n2) = refresh($h, $rt);
is($r2->code, 401, 'revoked subject: refresh 401');
ok(!$a2 && !$n2, '... and no new tokens');
like($h->log_since($mark), qr/AH70016.*sub alice is revoked/,
     '... refused as revoked (AH70016)');
next_second();
my ($at2, $rt2) = login($h, 'alice');
is(req($h, GET => '/p', token => $at2)->code, 200,
   'a new login after the revocation works');
my ($r3) = refresh($h, $rt2);
is($r3->code, 200, '... and its refresh token rotates');

# --- the revoke door's small max age and leeway do not shorten entries
sleep 2.5 - (time - $t_revoke) if time - $t_revoke < 2.5;
is(req($h, GET => '/p', token => $at)->code, 401,
   'past the revoke location\'s max age (1 s) + leeway (0): still 401');

my $short = hs_token(jti => 'short-1', exp => int(time) + 2);
is(req($h, GET => '/q', token => $short)->code, 200, 'short token: 200');
$res = req($h, POST => '/hrevoke', body => "token=$short");
is($res->code, 200, 'revoked by token= at a location with leeway 0');
like(json_of($res)->{until} // '', qr/^\d+$/, '... answer has until');
sleep 0.2 while time < claims_of($short)->{exp} + 3;
$mark = $h->log_mark;
is(req($h, GET => '/q', token => $short)->code, 401,
   'past exp + the revoke door\'s leeway, inside /h\'s 30 s: still 401');
like($h->log_since($mark), qr/AH70016.*jti short-1 is revoked/,
     '... as revoked (the entry lives by the largest leeway)');

# --- lifetime rules where revocation is checked
$mark = $h->log_mark;
is(req($h, GET => '/q', token => hs_token(iat => undef))->code, 401,
   'no iat where revocation is checked: 401');
like($h->log_since($mark), qr/no iat claim: where revocation is checked/,
     '... the log says why');
$mark = $h->log_mark;
is(req($h, GET => '/q', token => hs_token(exp => int(time) + 90000))->code,
   401, 'lives longer than AuthJWTMaxTokenLifetime (86400): 401');
like($h->log_since($mark), qr/more than AuthJWTMaxTokenLifetime 86400/,
     '... the log says why');
is(req($h, GET => '/q', token => hs_token(exp => int(time) + 86000))->code,
   200, 'within it: 200');

# --- logout ends the session's other access tokens (sid)
my ($b1, $brt) = login($h, 'bob');
my ($rb, $b2, $brt2) = refresh($h, $brt);
is($rb->code, 200, 'bob refreshed once: two live access tokens');
is(claims_of($b1)->{sid}, claims_of($b2)->{sid}, '... of one session');
$res = req($h, POST => '/auth/refresh/logout', token => $b2);
is($res->code, 200, 'logout with the newer access token only');
is(req($h, GET => '/p', token => $b2)->code, 401, '... that one: 401');
is(req($h, GET => '/p', token => $b1)->code, 401,
   '... the older one of the same session: 401 (its sid is logged out)');
($rb) = refresh($h, $brt2);
is($rb->code, 401, '... and the refresh token');

# --- logout scope=all
next_second();
my ($s1a, $s1r) = login($h, 'bob');
my ($s2a, $s2r) = login($h, 'bob');
is(req($h, GET => '/p', token => $s2a)->code, 200, 'bob: two sessions');
$res = req($h, POST => '/auth/refresh/logout', token => $s1a,
           type => 'application/x-www-form-urlencoded',
           body => 'scope=bogus');
is($res->code, 400, 'scope=bogus: 400');
is(req($h, GET => '/p', token => $s1a)->code, 200, '... nothing revoked');
$res = req($h, POST => '/auth/refresh/logout', type => 'application/json',
           body => '{"scope":"all"}');
is($res->code, 401, 'scope=all without a token: 401 (whose sessions?)');
$res = req($h, POST => '/auth/refresh/logout', token => $s1a,
           type => 'application/json', body => '{"scope":"all"}');
is($res->code, 200, 'logout scope=all: 200');
is_deeply(json_of($res), { logged_out => JSON::true, scope => 'all' },
          '... says scope all');
is(req($h, GET => '/p', token => $s2a)->code, 401,
   'the other session\'s access token: 401');
($rb) = refresh($h, $s2r);
is($rb->code, 401, 'the other session\'s refresh token: 401');
is(req($h, GET => '/p', token => $at2)->code, 200,
   "alice's session is untouched");
$h->stop;

# --- a TTL above the max lifetime stops start-up
my $bad = AuthJWT::Instance->new(name => 'doors-ttl', conf => sso_conf(
    extra => "<Location /x>\n    AuthJWTRefreshTTL 90000\n</Location>"));
my ($rc, $out) = $bad->configtest;
isnt($rc, 0, 'AuthJWTRefreshTTL 90000 > AuthJWTMaxTokenLifetime 86400: '
             . 'configtest fails');
like($out, qr/AH70063: AuthJWTRefreshTTL 90000 \(line \d+ of .*\) is longer than AuthJWTMaxTokenLifetime/,
     '... naming the directive, line and file (AH70063)');
my $out2 = `@{[ AuthJWT::Instance::httpd_bin() ]} -f @{[ $bad->conf_file ]} -k start 2>&1`;
sleep 0.5;
like(AuthJWT::Instance::slurp($bad->error_log) . $out2,
     qr/AH70063: AuthJWTRefreshTTL 90000 \(line \d+ of .*\) is longer than AuthJWTMaxTokenLifetime/,
     '... and start-up says which line (AH70063)');
ok(!$bad->pid || !AuthJWT::Instance::pid_alive($bad->pid),
   '... and does not run');
$bad->stop;

# ====================================================== memcached store
SKIP: {
    skip 'no memcached', 15 unless AuthJWT::Instance::memcached_bin();
    my $m = AuthJWT::Instance->memcached;
    my $proxy = AuthJWT::Faults->proxy(to => $m->port);
    # A reaches memcached through the proxy (to take it away), B directly
    my $A = AuthJWT::Instance->new(name => 'doors-a', children => 2,
        conf => sso_conf(store => 'memcached:127.0.0.1:' . $proxy->port));
    my $B = AuthJWT::Instance->new(name => 'doors-b', children => 2,
        conf => sso_conf(store => 'memcached:127.0.0.1:' . $m->port));
    $A->start;
    $B->start;

    # --- logout with the store down: 503, cookies kept, nothing lost
    my ($la, $lr) = login($A, 'alice');
    ok($la && $lr, 'logged in on A');
    $proxy->mode('reset');
    $mark = $A->log_mark;
    $res = req($A, POST => '/auth/refresh/logout',
               cookie => "jwt=$la; jwt_refresh=$lr");
    is($res->code, 503, 'logout with the store down: 503');
    ok($res->header('Retry-After'), '... with Retry-After');
    ok(!$res->header('Set-Cookie'), '... and the cookies are not cleared');
    like(json_of($res)->{error} // '', qr/temporarily_unavailable/,
         '... JSON says so');
    like($A->log_since($mark), qr/AH70069: jwt-logout of alice failed, the session is NOT ended/,
         '... logged (AH70069)');
    $res = req($A, POST => '/auth/refresh/logout', cookie => "jwt=$la");
    is($res->code, 503, 'logout with the access token alone, store down: '
                        . '503 too (its check could not run: not "done")');
    $proxy->mode('pass');
    # each child retries the store after its retry period (2 s, counted in
    # whole seconds): a client retries on 503, as Retry-After says
    sub until_not_503 {
        my ($f) = @_;
        my $end = time + 10;
        my @r;
        while (time < $end) {
            @r = $f->();
            last if $r[0]->code != 503;
            sleep 0.5;
        }
        return @r;
    }
    my ($rr, $na) = until_not_503(sub { refresh($A, $lr) });
    is($rr->code, 200, 'the logout said it failed: the session still works');
    ($res) = until_not_503(sub {
        req($A, POST => '/auth/refresh/logout', cookie => "jwt=$na") });
    is($res->code, 200, 'logout once the store is back: 200');
    is(req($B, GET => '/p', token => $na)->code, 401,
       '... and B refuses that session\'s token');

    # --- scope=all ends the sessions on the other server
    next_second();
    my ($x1, $xr1) = login($A, 'bob');
    my ($x2, $xr2) = login($A, 'bob');
    is(req($B, GET => '/p', token => $x2)->code, 200,
       'B accepts bob\'s second session');
    $res = req($A, POST => '/auth/refresh/logout', token => $x1,
               type => 'application/x-www-form-urlencoded',
               body => 'scope=all');
    is($res->code, 200, 'logout scope=all on A');
    is(req($B, GET => '/p', token => $x2)->code, 401,
       'B: the other session\'s access token 401');
    my ($rbx) = refresh($B, $xr2);
    is($rbx->code, 401, 'B: its refresh token 401');
    my ($rax) = refresh($A, $xr2);
    is($rax->code, 401, 'A: its refresh token 401');
    $A->stop;
    $B->stop;
    $proxy->stop;
    $m->stop;
}

# ================================================ doors with fetched keys
{
    my $dir = tmpdir();
    my $ca = make_ca($dir, 'ca');
    my $idp = AuthJWT::Provider->idp(cert => make_cert($dir, 'idp', $ca));
    ok($idp->start, 'HTTPS provider starts') or diag($idp->stderr);
    $idp->set('jwks', body => jwks_json(
        jwk("$keys/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256')));
    my $url = $idp->url('/jwks');
    my $J = AuthJWT::Instance->new(name => 'doors-jwks', children => 2,
                                   conf => <<"C");
AuthJWTRevocationStore shm
<Location "/">
    AuthJWTJwksURL $url
    AuthJWTJwksCA $ca->{crt}
</Location>
<Location "/p">
    AuthType jwt
    AuthName idp
    Require valid-jwt
</Location>
<Location "/revoke">
    SetHandler jwt-revoke
</Location>
<Location "/logout">
    SetHandler jwt-logout
    AuthJWTSignKey $keys/ec256.key ES256 local
</Location>
C
    $J->start;
    my $t1 = mint(alg => 'RS256', key => 'rsa', header => { kid => 'A' },
                  claims => { jti => 'idp-1' });
    my $t2 = mint(alg => 'RS256', key => 'rsa', header => { kid => 'A' },
                  claims => { jti => 'idp-2' });
    is(req($J, GET => '/p', token => $t1)->code, 200,
       'IdP token at a JWKS location: 200');
    $res = req($J, POST => '/revoke', body => "token=$t1");
    is($res->code, 200, 'jwt-revoke token= verifies with the fetched keys')
        or diag($res->decoded_content);
    is(json_of($res)->{jti}, 'idp-1', '... revoked its jti');
    is(req($J, GET => '/p', token => $t1)->code, 401, '... then 401');
    $res = req($J, POST => '/revoke', body => "token=$t1");
    is(json_of($res)->{jti} // '', 'idp-1',
       'revoking it again: the same answer (idempotent)');
    $res = req($J, POST => '/logout', token => $t2);
    is($res->code, 200, 'jwt-logout with an IdP token: 200');
    is(req($J, GET => '/p', token => $t2)->code, 401,
       '... its jti was revoked (fetched keys verified it)');
    $J->stop;
    $idp->stop;
}

done_testing();
