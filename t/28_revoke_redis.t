# SPDX-License-Identifier: Apache-2.0
# AuthJWTRevocationStore redis://: a real redis-server (appendonly yes,
# an ACL user) behind private httpd instances:
# - revoke (jti and sub), restart redis-server: still revoked, read back
#   from Redis' own AOF (this instance has no journal: AuthJWTStateDir none);
# - Redis stopped: 503 with Retry-After (deny), 200 logged (allow); back:
#   revoked again without restarting httpd;
# - a wrong ACL password: a clear log line, 503, never a token through;
# - lockout counters in Redis (AuthJWTLockout 3 60: the 4th try is 429);
# - a Redis restarted WITHOUT persistence (empty) behind a server with a
#   journal: refilled before its keys are trusted (401, never 200).
# t/56 runs the refresh race (exactly one winner) against Redis.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Instance qw(users_file spew);
use AuthJWT::Test qw(mint);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);

plan skip_all => 'no redis-server' unless AuthJWT::Instance::redis_bin();

my $keys = AuthJWT::Instance::keys_dir();
my $mods = AuthJWT::Instance::modules_dir();
my $aux = tempdir('ajwt-redis28-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $aux;
my $secret = 'z' x 40;
spew("$aux/hs.secret", $secret);
spew("$aux/redis.pw", "s3cret-pw\n", 0600);
spew("$aux/wrong.pw", "not-it\n", 0600);
users_file("$aux/users", { alice => 'alice-pw' }, cost => 4);

my $r = AuthJWT::Instance->redis(appendonly => 1,
    acl => ['user ajwt on >s3cret-pw ~* +@all', 'user default off']);

sub conf {
    my (%o) = @_;
    my $pw = $o{pw} || 'redis.pw';
    return <<"C";
LoadModule authn_file_module $mods/mod_authn_file.so
AuthJWTRevocationStore redis://127.0.0.1:$o{port}
AuthJWTRevocationStoreAuth ajwt file:$aux/$pw
AuthJWTStateDir @{[ $o{state} // 'none' ]}
AuthJWTSecret file:$aux/hs.secret
<Location "/p">
    AuthType jwt
    AuthName redis
    Require valid-jwt
</Location>
<Location "/q">
    AuthType jwt
    AuthName redis
    AuthJWTRevocationFailure allow
    Require valid-jwt
</Location>
<Location "/revoke">
    SetHandler jwt-revoke
</Location>
<Location "/auth/login">
    SetHandler jwt-login
    AuthJWTSignKey $keys/ec256.key ES256 r1
    AuthJWTIssuer https://redis.test
    AuthUserFile $aux/users
    AuthJWTLockout 3 60
</Location>
C
}
# sub rita, iat now, exp in 600 s (mint's defaults), this file's secret
sub tok {
    mint(alg => 'HS256', key => "raw:$secret",
         claims => { sub => 'rita', @_ });
}

my $h = AuthJWT::Instance->new(name => 'redis28', children => 3,
                               conf => conf(port => $r->port));
$h->start;
my ($t1, $t2, $t3) = (tok(jti => 'x-1'), tok(sub => 'ron', jti => 'x-2'),
                      tok(jti => 'x-3'));
is($h->get('/p', token => $t1)->code, 200, 'a token: 200');
is($h->post_form('/revoke', [token => $t1])->code, 200, 'revoke it (jti)');
is($h->post_form('/revoke', [sub => 'ron'])->code, 200, 'revoke ron (sub)');
is($h->get('/p', token => $t1)->code, 401, 'jti revoked: 401');
is($h->get('/p', token => $t2)->code, 401, 'sub revoked: 401');
is($h->get('/p', token => $t3)->code, 200, 'another: 200');

# --- restart with appendonly: Redis' own copy
$r->stop;
$r->start;
is($h->code_within(5, 401, '/p', token => $t1), 401,
   'after a redis-server restart (AOF): the jti is still revoked');
is($h->get('/p', token => $t2)->code, 401, '... and the subject');
is($h->get('/p', token => $t3)->code, 200, '... the other token: 200');

# --- Redis away
$r->stop;
my $mark = $h->log_mark;
my $res = $h->get('/p', token => $t3);
is($res->code, 503, 'redis-server stopped: 503 (deny)');
ok($res->header('Retry-After'), '... with Retry-After');
is($h->get('/p', token => $t1)->code, 503, '... a revoked one too, not 200');
is($h->get('/q', token => $t3)->code, 200, 'allow: let through');
like($h->log_since($mark), qr/AH70022: revocation store unreachable, token let through/,
     '... and logged (AH70022)');
$r->start;
is($h->code_within(6, 200, '/p', token => $t3), 200,
   'redis-server back: 200 without restarting httpd');
is($h->get('/p', token => $t1)->code, 401, '... and the revoked one 401');

# --- lockout counters in Redis
sub login { $h->login('alice', $_[0])->code }
is(join(',', map { login('wrong') } 1 .. 3), '401,401,401',
   'three wrong passwords: 401 each');
is(login('alice-pw'), 429, 'the fourth try, even right, is locked out (429)');
$h->stop;

# --- a wrong ACL password
my $w = AuthJWT::Instance->new(name => 'redis28w', children => 2,
                               conf => conf(port => $r->port,
                                            pw => 'wrong.pw'));
$w->start;
$mark = $w->log_mark;
is($w->get('/p', token => $t3)->code, 503, 'wrong Redis password: 503');
is($w->get('/p', token => $t1)->code, 503, '... a revoked token too');
my $log = $w->log_since($mark);
like($log, qr/authentication failed/, '... the log says authentication failed');
unlike($log, qr/not-it|s3cret/, '... and never the password');
$w->stop;

# --- Redis without persistence, behind a journal: refilled
my $e = AuthJWT::Instance->redis(appendonly => 0,
    acl => ['user ajwt on >s3cret-pw ~* +@all', 'user default off']);
my $j = AuthJWT::Instance->new(name => 'redis28j', children => 2,
                               conf => conf(port => $e->port,
                                            state => "$aux/state"));
$j->start;
my @rev = map { tok(jti => "j-$_") } 1 .. 10;
$j->post_form('/revoke', [token => $_])->code == 200 or die for @rev;
is(scalar(grep { $j->get('/p', token => $_)->code == 401 } @rev), 10,
   'ten revoked on a Redis without persistence');
$e->stop;
$e->start;
my %n;
$n{ $j->get('/p', token => $_)->code }++ for @rev;
ok(!$n{200}, 'restarted empty: no revoked token through ('
             . join(', ', map { "$_ x$n{$_}" } sort keys %n) . ')');
my $end = time + 6;
my $refused = 0;
while (time < $end) {
    $refused = grep { $j->get('/p', token => $_)->code == 401 } @rev;
    last if $refused == 10;
    sleep 0.3;
}
is($refused, 10, '... refilled from the journal: all ten 401 again');
$j->stop;
$e->stop;
$r->stop;
done_testing();
