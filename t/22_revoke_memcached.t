# SPDX-License-Identifier: Apache-2.0
# Revocation across servers: two private httpd instances (event and
# prefork) sharing a cluster of two real memcached servers started here on
# free ports of 127.0.0.1 and stopped by PID. Revoked on one (endpoint, or
# the ajwt-revoke tool), refused on both; both memcached killed: 503 with
# Retry-After (deny) or 200 with a logged warning (allow); restarted on
# the same ports: revocation works again without restarting httpd.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id claims_of);
use AuthJWT::Instance qw(jwt_location);
use Time::HiRes qw(sleep);

plan skip_all => 'memcached is not installed'
    unless AuthJWT::Instance::memcached_bin();
my $tool = AuthJWT::Instance::revoke_tool();
plan skip_all => "ajwt-revoke not built ($tool)" unless -x $tool;

my @mc = map { AuthJWT::Instance->memcached } 1 .. 2;
my $servers = join ',', map { $_->server } @mc;

my $conf = "AuthJWTRevocationStore memcached:$servers\n"
    . jwt_location('/p', 'Require valid-jwt')
    . jwt_location('/a', 'AuthJWTRevocationFailure allow', 'Require valid-jwt')
    . jwt_location('/revoke-norev', 'SetHandler jwt-revoke',
                   'AuthJWTRevocation Off', 'Require jwt-role admin')
    . jwt_location('/revoke', 'SetHandler jwt-revoke',
                   'Require jwt-role admin');
my $A = AuthJWT::Instance->new(mpm => 'event', procs => 2, threads => 4,
                               conf => $conf, name => 'A')->start;
my $B = AuthJWT::Instance->new(mpm => 'prefork', children => 2,
                               conf => $conf, name => 'B')->start;

my $run = run_id();      # tok(): sub u-$run, jti j-$run-N
my $admin = tok(sub => "admin-$run", roles => ['admin']);
my $valid = tok();

sub codes {
    my ($path, $t) = @_;
    return join ' ', map { $_->get($path, token => $t)->code } $A, $B;
}

is(codes('/p', $valid), '200 200', 'a valid token passes A and B');

# --- revoked on A through the endpoint, refused on B ---------------------
{
    my @t = map { tok() } 1 .. 12;
    is(join(' ', map { codes('/p', $_) } @t), join(' ', ('200 200') x 12),
       '12 tokens pass A and B before');
    my @rc = map { $A->post_form('/revoke', [token => $_], token => $admin)
                     ->code } @t;
    is("@rc", join(' ', (200) x 12), 'all 12 revoked on A');
    is(join(' ', map { $B->get('/p', token => $_)->code } @t),
       join(' ', (401) x 12), 'all 12 refused on B');
    is(join(' ', map { $A->get('/p', token => $_)->code } @t),
       join(' ', (401) x 12), 'and on A');
    my @items = map { $_->items } @mc;
    ok($items[0] && $items[1], "both memcached servers hold entries "
                               . "(@items): the keys are spread");
    is(codes('/p', $valid), '200 200', 'the other token still passes both');
    like($B->log_since(0), qr/AH70016: token refused/, 'B logged AH70016');

    my $sub = "carol-$run";
    my $ct = tok(sub => $sub);
    is(codes('/p', $ct), '200 200', 'sub victim passes before');
    is($A->post_json('/revoke', { sub => $sub }, token => $admin)->code,
       200, 'sub revoked on A (JSON)');
    is(codes('/p', $ct), '401 401', 'sub victim refused on A and B');
}

# --- revoked with the ajwt-revoke tool, refused by both -------------------
{
    my $exp = time + 600;
    my @t = map { tok(exp => $exp) } 1 .. 6;
    my @j = map { claims_of($_)->{jti} } @t;
    is(join(' ', map { codes('/p', $_) } @t), join(' ', ('200 200') x 6),
       'tool victims pass before');
    for my $i (0 .. $#j) {
        # half with the directive's value pasted as is
        my $list = $i % 2 ? "memcached:$servers" : $servers;
        my $out = `$tool --servers $list --jti $j[$i] --exp $exp 2>&1`;
        is($? >> 8, 0, "ajwt-revoke --jti $j[$i]: exit 0") or diag($out);
    }
    is(join(' ', map { codes('/p', $_) } @t), join(' ', ('401 401') x 6),
       'all refused by A and B');

    my $sub = "dave-$run";
    my $dt = tok(sub => $sub, jti => undef);
    is(codes('/p', $dt), '200 200', 'sub victim (no jti) passes before');
    my $out = `$tool --servers $servers --sub $sub 2>&1`;
    is($? >> 8, 0, 'ajwt-revoke --sub: exit 0') or diag($out);
    is(codes('/p', $dt), '401 401', 'refused by A and B');
    is(codes('/p', $valid), '200 200', 'the other token still passes both');
}

# --- both memcached servers killed ----------------------------------------
{
    $_->stop for @mc;
    ok(!AuthJWT::Instance::port_open($_->port), 'memcached ' . $_->port
       . ' stopped') for @mc;
    my $amark = $A->log_mark;
    my $bmark = $B->log_mark;
    for my $h ($A, $B) {
        my $r = $h->get('/p', token => $valid);
        is($r->code, 503, "$h->{name}: deny: 503");
        is(scalar $r->header('Retry-After'), '5', 'with Retry-After');
        ok(!$r->header('WWW-Authenticate'), 'no challenge on 503');
    }
    like($A->log_since($amark), qr/AH70017: token refused \([^)]+\): .*(?#
         )Connection refused/,
         'A: store failure logged (AH70017)') or diag($A->log_since($amark));
    # allow: each process warns at most every 10 s, so ask a few times
    my @c = map { $A->get('/a', token => $valid)->code } 1 .. 6;
    is("@c", '200 200 200 200 200 200', 'allow: 200 while the store is down');
    like($A->log_since($amark), qr/\[auth_jwt:warn\] .*AH70022: revocation (?#
         )store unreachable, token let through/, 'A: warning AH70022 logged');
    is($B->get('/a', token => $valid)->code, 200, 'B: allow: 200');
    like($B->log_since($bmark), qr/AH70022: /, 'B: warning AH70022 logged');
    my $warns = () = $A->log_since($amark) =~ /AH70022/g;
    ok($warns <= 2, "A: the warning is rate-limited ($warns for 6 requests "
                    . "on 2 processes)");
    is($A->get('/a', token => 'garbage')->code, 401,
       'allow: an invalid token is still refused');

    # the admin's own token cannot be checked: 503 before the handler
    my $x = tok();
    my $r = $A->post_form('/revoke', [token => $x], token => $admin);
    is($r->code, 503, 'endpoint: 503 while the store is down');
    is(scalar $r->header('Retry-After'), '5', 'with Retry-After');
    # where the admin token is not checked, the handler's own write fails
    $r = $A->post_form('/revoke-norev', [token => $x], token => $admin);
    is($r->code, 503, 'endpoint (AuthJWTRevocation Off): 503');
    is(scalar $r->header('Retry-After'), '5', 'with Retry-After');
    like(scalar $r->header('Content-Type'), qr{^application/json},
         'JSON answer');
    like($r->content, qr/"error":"temporarily_unavailable"/, 'JSON error')
        or diag($r->as_string);
    my $out = `$tool --servers $servers --sub nobody-$run --timeout 200 2>&1`;
    is($? >> 8, 1, 'ajwt-revoke: exit 1 while the store is down')
        or diag($out);
}

# --- restarted on the same ports: works again, httpd not restarted ------
{
    my @hpids = ($A->pid, $B->pid);
    $_->start for @mc;
    # each thread's connection skips a dead server for retry_timeout_s
    # (2 s, counted in whole seconds, so up to 3 s) after its last
    # failure: past that, every thread retries
    sleep 3.2;
    my $ok = 0;
    for (1 .. 30) {
        $ok = codes('/p', $valid) eq '200 200';
        last if $ok;
        sleep 0.1;
    }
    ok($ok, 'valid token passes A and B again');
    my $y = tok();
    is(codes('/p', $y), '200 200', 'new victim passes before');
    my $r = $A->post_form('/revoke', [token => $y], token => $admin);
    is($r->code, 200, 'revoked on A after the restart');
    is(codes('/p', $y), '401 401', 'refused by A and B');
    my $exp = time + 600;
    my $z = tok(exp => $exp);
    my $zjti = claims_of($z)->{jti};
    my $out = `$tool --servers $servers --jti $zjti --exp $exp 2>&1`;
    is($? >> 8, 0, 'ajwt-revoke after the restart: exit 0') or diag($out);
    is(codes('/p', $z), '401 401', 'refused by A and B');
    is_deeply([$A->pid, $B->pid], \@hpids, 'same httpd parents throughout');
    is(codes('/p', $valid), '200 200', 'the other token still passes both');
}

for my $h ($A, $B) {
    unlike($h->log_since(0), qr/AH00052|Segmentation fault|exit signal/,
           "$h->{name}: no child crashed");
    $h->stop;
}
$_->stop for @mc;
done_testing;
