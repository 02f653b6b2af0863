# SPDX-License-Identifier: Apache-2.0
# Revocation seen by every child and thread: private httpd instances with
# prefork (4 children), event and worker (2 processes x 8 threads), the
# shm store, no keep-alive. One request revokes; then many new
# connections, several in flight at once, all refuse the revoked token
# while another token is accepted by all, and the access log (%P, %{tid}P)
# shows that more than one child (and thread) answered.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id);
use AuthJWT::Instance qw(jwt_location);

my $conf = "AuthJWTRevocationStore shm\n"
    . jwt_location('/p', 'Require valid-jwt')
    . jwt_location('/revoke', 'SetHandler jwt-revoke',
                   'Require jwt-role admin');

my $run = run_id();      # tok(): sub u-$run, jti j-$run-N

sub count { my %s; $s{$_}++ for @_; return scalar keys %s }
sub all_are {
    my ($want, @codes) = @_;
    my @bad = grep { $_ != $want } @codes;
    return !@bad && @codes;
}

for my $mpm (qw(prefork event worker)) {
    subtest "$mpm MPM" => sub {
        my $h = AuthJWT::Instance->new(mpm => $mpm, conf => $conf,
                                       children => 4, procs => 2,
                                       threads => 8, name => $mpm);
        $h->start;
        my @kids = $h->children;
        ok(@kids >= ($mpm eq 'prefork' ? 4 : 2),
           "$mpm: " . scalar(@kids) . ' children started');
        my $admin = tok(sub => "admin-$run", roles => ['admin']);
        my ($a, $b) = (tok(), tok());
        my $c = tok(sub => "carol-$run-$mpm");

        # Warm every child's verified-token cache with the victims first:
        # a cached token must still be refused once revoked.
        my $mark = $h->access_mark;
        my @codes = $h->burst('/p', $a, 40, par => 10, tag => "w$mpm");
        ok(all_are(200, @codes), 'victim accepted on 40 connections first')
            or diag("@codes");
        @codes = $h->burst('/p', $c, 20, par => 10, tag => "wc$mpm");
        ok(all_are(200, @codes), 'sub victim accepted first');

        my $r = $h->post_form('/revoke', [token => $a], token => $admin);
        is($r->code, 200, 'revoked through one request');
        $r = $h->post_form('/revoke', [sub => "carol-$run-$mpm"],
                           token => $admin);
        is($r->code, 200, 'sub revoked through one request');

        my $lmark = $h->log_mark;
        $mark = $h->access_mark;
        @codes = $h->burst('/p', $a, 60, par => 10, tag => "r$mpm");
        is(scalar @codes, 60, '60 connections');
        ok(all_are(401, @codes), 'revoked token: 401 on all 60')
            or diag("@codes");
        my @rows = $h->served_by("r$mpm", $mark);
        is(scalar @rows, 60, 'all 60 in the access log');
        my $pids = count(map { $_->[0] } @rows);
        my $threads = count(map { "$_->[0]:$_->[1]" } @rows);
        ok($pids > 1, "answered by $pids processes");
        ok($threads > 1, "answered by $threads threads")
            if $mpm ne 'prefork';
        my $refusals = () = $h->log_since($lmark) =~ /AH70016: token refused/g;
        is($refusals, 60, '60 refusals logged (AH70016)');

        @codes = $h->burst('/p', $c, 60, par => 10, tag => "c$mpm");
        ok(all_are(401, @codes), 'token of the revoked sub: 401 on all 60')
            or diag("@codes");

        $mark = $h->access_mark;
        @codes = $h->burst('/p', $b, 60, par => 10, tag => "v$mpm");
        ok(all_are(200, @codes), 'another valid token: 200 on all 60')
            or diag("@codes");
        @rows = $h->served_by("v$mpm", $mark);
        $pids = count(map { $_->[0] } @rows);
        ok($pids > 1, "answered by $pids processes");

        unlike($h->log_since(0), qr/AH00052|Segmentation fault|exit signal/,
               'no child crashed');
        $h->stop;
    };
}

done_testing;
