# SPDX-License-Identifier: Apache-2.0
# The shm revocation store across graceful restarts and when full:
# private httpd instances, several children, no keep-alive.
# - revoke, `httpd -k graceful`, wait for the new generation: the token is
#   still refused by every new child (prefork and event);
# - AuthJWTRevocationStore shm:16384 (the minimum: 168 entries) and 600
#   revocations: the server keeps serving valid tokens and the newest
#   revocations hold.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id claims_of);
use AuthJWT::Instance qw(jwt_location);

my $locs = jwt_location('/p', 'Require valid-jwt')
    . jwt_location('/revoke', 'SetHandler jwt-revoke',
                   'Require jwt-role admin');

my $run = run_id();      # tok(): sub u-$run, jti j-$run-N
my $admin = tok(sub => "admin-$run", roles => ['admin']);
sub all_are {
    my ($want, @codes) = @_;
    return @codes && !grep { $_ != $want } @codes;
}
sub count { my %s; $s{$_}++ for @_; return scalar keys %s }

for my $mpm (qw(prefork event)) {
    subtest "graceful restart keeps revocations ($mpm)" => sub {
        my $h = AuthJWT::Instance->new(mpm => $mpm, children => 4,
                                       procs => 2, threads => 4,
                                       conf => "AuthJWTRevocationStore shm\n"
                                               . $locs,
                                       name => "g$mpm")->start;
        my ($a, $b, $c) = (tok(), tok(), tok());
        my $sub = "carol-$run-$mpm";
        my $s = tok(sub => $sub);
        ok(all_are(200, $h->burst('/p', $a, 20, tag => 'w')),
           'victim accepted before');
        is($h->post_form('/revoke', [token => $a], token => $admin)->code,
           200, 'revoked by jti');
        is($h->post_form('/revoke', [sub => $sub], token => $admin)->code,
           200, 'revoked by sub');
        ok(all_are(401, $h->burst('/p', $a, 20, tag => 'x')),
           'refused before the restart');

        my @old = $h->children;
        my $gen = $h->generations;
        my $parent = $h->pid;
        $h->graceful;
        is($h->generations, $gen + 1, 'a new generation is up');
        is($h->pid, $parent, 'same parent (graceful, not a stop)');
        my %old = map { $_ => 1 } @old;
        my @new = $h->children;
        ok(@new && !grep({ $old{$_} } @new),
           'every child is new (' . scalar(@new) . ' children)')
            or diag("old @old, new @new");

        my $mark = $h->access_mark;
        my @codes = $h->burst('/p', $a, 40, tag => 'after');
        ok(all_are(401, @codes), 'revoked token: 401 on 40 connections '
                                 . 'after the restart') or diag("@codes");
        my @rows = $h->served_by('after', $mark);
        my @pids = map { $_->[0] } @rows;
        ok(!grep({ $old{$_} } @pids), 'answered by the new generation only');
        ok(count(@pids) > 1, 'by ' . count(@pids) . ' processes');
        ok(all_are(401, $h->burst('/p', $s, 20, tag => 's')),
           'token of the revoked sub: still 401');
        ok(all_are(200, $h->burst('/p', $b, 20, tag => 'v')),
           'another token: 200');

        # and the store still takes revocations after the restart
        is($h->post_form('/revoke', [token => $c], token => $admin)->code,
           200, 'revocation after the restart');
        ok(all_are(401, $h->burst('/p', $c, 20, tag => 'c')),
           'refused everywhere');

        # a second graceful restart, for the re-attach path once more
        $h->graceful;
        ok(all_are(401, $h->burst('/p', $_, 20, tag => 'z')),
           'still refused after a second graceful restart') for $a, $c;
        unlike($h->log_since(0), qr/AH00052|Segmentation fault|exit signal|
                                   AH7002[346]/x,
               'no crash, no store error');
        $h->stop;
    };
}

subtest 'a full store keeps serving and keeps the newest' => sub {
    my $h = AuthJWT::Instance->new(mpm => 'prefork', children => 2,
                                   conf => "AuthJWTRevocationStore shm:16384\n"
                                           . $locs,
                                   name => 'full')->start;
    my $valid = tok();
    my $exp = time + 600;
    my @t = map { tok(exp => $exp) } 1 .. 600;
    my @jti = map { claims_of($_)->{jti} } @t;
    my $mark = $h->log_mark;
    my @codes;
    for my $j (@jti) {
        push @codes, $h->post_form('/revoke', [jti => $j, exp => $exp],
                                   token => $admin)->code;
    }
    is(scalar(grep { $_ == 200 } @codes), 600, 'all 600 revocations: 200');
    ok(all_are(200, $h->burst('/p', $valid, 20, tag => 'v')),
       'a valid token still passes');
    ok(all_are(200, $h->burst('/p', $admin, 10, tag => 'a')),
       'the admin token still passes');
    # 168 slots in 21 groups of 8: a revocation is pushed out only by 8
    # newer ones landing in its group; for the last 32 that is very
    # unlikely (< 1e-3), for the last 50 it happens in about 3% of runs.
    my @last = map { $h->get('/p', token => $_)->code } @t[-32 .. -1];
    is("@last", join(' ', (401) x 32), 'the 32 newest revocations hold');
    my @lastb = map { $h->get('/p', token => $_)->code } @t[-100 .. -33];
    my $held = grep { $_ == 401 } @lastb;
    diag("of the 68 before those, $held still held");
    my @early = map { $h->get('/p', token => $_)->code } @t[0 .. 99];
    my $gone = grep { $_ == 200 } @early;
    ok($gone >= 50, "the store is bounded: $gone of the 100 oldest were "
                    . 'pushed out (their tokens pass again)');
    ok(!grep({ $_ != 200 && $_ != 401 } @early, @lastb),
       'every answer was 200 or 401');
    is($h->post_form('/revoke', [token => $valid], token => $admin)->code,
       200, 'a revocation into the full store');
    is($h->get('/p', token => $valid)->code, 401, 'and it holds');
    my $log = $h->log_since($mark);
    unlike($log, qr/AH00052|Segmentation fault|exit signal|AH70001|AH70017/,
           'no crash, no store error');
    like($log, qr/AH70041: revocation store full: \d+ live entries pushed out/,
         'the full store is logged');
    $h->stop;
};

done_testing;
