# SPDX-License-Identifier: Apache-2.0
# Graceful restarts and a configuration reload under load. A private
# httpd (event and prefork with the shm revocation store, event with a
# memcached store); before the restarts a token is revoked by jti and
# another subject's tokens by sub.
# Then, while two wrk instances load the server:
#   - wrk A: a valid token on /p, a new connection per request;
#   - wrk B: the revoked token on /p;
# the server gets `httpd -k graceful` twice, and a reload with a changed
# configuration (a location's AuthName, so the reload is visible in its
# challenge) through `httpd -k graceful` after `httpd -t`, and once more
# with a plain SIGUSR1 to the parent (what `apachectl graceful` sends).
# Asserted: A saw only 200 and no socket error; B saw only 401 (the
# revocation held in every generation, no 200 slipped through while old
# and new children overlapped); after the restarts the revoked tokens are
# still refused on 40 fresh connections; the same parent throughout; no
# child crashed.
#
# wrk sends "Connection: close": with keep-alive, httpd's graceful restart
# closes idle keep-alive connections of the old generation, and a client
# racing a request onto such a connection must retry (RFC 9112 9.3.1);
# that is httpd's connection handling, not the module's, and would count
# as wrk read errors.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test qw(:DEFAULT tok run_id);
use AuthJWT::Instance qw(jwt_location);
use AuthJWT::Faults;
use Time::HiRes qw(sleep time);

plan skip_all => 'wrk is not installed' unless AuthJWT::Faults::wrk_bin();

my $run = run_id();      # tok(): sub u-$run, jti j-$run-N
# ttl => 3600: every token outlives the whole file (minutes of load)
my $admin = tok(ttl => 3600, sub => "admin-$run", roles => ['admin']);

my $store = 'shm';
sub conf {
    my $realm = shift;
    return "AuthJWTRevocationStore $store\n"
        . jwt_location('/p', 'Require valid-jwt')
        . jwt_location('/q', { realm => $realm }, 'Require valid-jwt')
        . jwt_location('/revoke', 'SetHandler jwt-revoke',
                       'Require jwt-role admin');
}

sub realm_of {
    my ($h, $path) = @_;
    my $w = $h->get($path)->header('WWW-Authenticate') || '';
    return $w =~ /realm="([^"]*)"/ ? $1 : '';
}

# A reload by signal, as `apachectl graceful` or `systemctl reload` do:
# the new configuration is checked first, then SIGUSR1 to the parent.
sub reload_usr1 {
    my $h = shift;
    my ($rc, $out) = $h->configtest;
    die "configtest failed: $out" if $rc;
    my $gen = $h->generations;
    kill 'USR1', $h->pid;
    my $end = time + 10;
    sleep 0.05 while time < $end && $h->generations <= $gen;
    $h->wait_children;
    return $h->generations > $gen;
}

# The shm store with both MPM families; memcached with event (its
# connections are per thread and made again in every new child).
my $mc;
for my $case ([event => 'shm'], [prefork => 'shm'], [event => 'memcached']) {
    my $mpm = $case->[0];
    if ($case->[1] eq 'memcached') {
        next unless AuthJWT::Instance::memcached_bin();
        $mc = AuthJWT::Instance->memcached;
        $store = 'memcached:' . $mc->server;
    }
    subtest "graceful restarts and a reload under load ($mpm, $case->[1])"
    => sub {
        my $h = AuthJWT::Instance->new(mpm => $mpm, children => 4,
                                       procs => 2, threads => 8,
                                       conf => conf('before'),
                                       name => "gl$mpm$case->[1]",
                                       loglevel => 'info')->start;
        my $parent = $h->pid;
        my $valid = tok(ttl => 3600);
        my $victim = tok(ttl => 3600);
        my $sub = "carol-$run-$mpm";
        my $subtok = tok(ttl => 3600, sub => $sub);
        is($h->get('/p', token => $valid)->code, 200, 'valid token: 200');
        is($h->post_form('/revoke', [token => $victim], token => $admin)
             ->code, 200, 'a token revoked by jti');
        is($h->post_form('/revoke', [sub => $sub], token => $admin)->code,
           200, 'a subject revoked');
        is($h->get('/p', token => $victim)->code, 401, 'victim: 401');
        is($h->get('/p', token => $subtok)->code, 401, "$sub: 401");
        is(realm_of($h, '/q'), 'before', 'realm of /q before the reload');

        my $gen0 = $h->generations;
        my $wa = AuthJWT::Faults->wrk(url => $h->url('/p'), token => $valid,
                                      secs => 60, conns => 6, threads => 2);
        my $wb = AuthJWT::Faults->wrk(url => $h->url('/p'),
                                      token => $victim, secs => 60,
                                      conns => 2, threads => 1);
        sleep 1;
        ok(eval { $h->graceful; 1 }, 'httpd -k graceful (1)') or diag($@);
        sleep 1;
        ok(eval { $h->graceful; 1 }, 'httpd -k graceful (2)') or diag($@);
        sleep 1;
        $h->{conf} = conf('after');
        $h->write_conf;
        my ($rc, $out) = $h->configtest;
        is($rc, 0, 'the changed configuration passes httpd -t') or diag($out);
        ok(eval { $h->graceful; 1 }, 'reload: httpd -k graceful with the '
                                     . 'changed configuration') or diag($@);
        is(realm_of($h, '/q'), 'after', 'the changed configuration serves');
        sleep 1;
        $h->{conf} = conf('again');
        ok(reload_usr1($h), 'reload: SIGUSR1 to the parent');
        sleep 1;
        my $ra = $wa->wait(interrupt => 1);
        my $rb = $wb->wait(interrupt => 1);

        is($h->generations, $gen0 + 4, 'four new generations');
        is($h->pid, $parent, 'same parent (graceful, never a stop)');
        is(realm_of($h, '/q'), 'again', 'the reloaded configuration serves');

        subtest 'load with the valid token' => sub {
            ok($ra->{requests} > 200, "wrk made $ra->{requests} requests");
            is_deeply($ra->{codes}, { 200 => $ra->{answered} },
                      'every answer 200 (' . join(' ', map {
                          "$_=$ra->{codes}{$_}" } sort keys %{ $ra->{codes} })
                      . ')');
            is($ra->{non2xx}, 0, 'wrk: Non-2xx or 3xx responses: 0');
            is($ra->{socket_errors}, 0, 'wrk: no socket error ('
               . join(' ', map { "$_=$ra->{errors}{$_}" }
                           sort keys %{ $ra->{errors} }) . ')');
        } or diag($ra->{output});
        subtest 'load with the revoked token' => sub {
            ok($rb->{requests} > 50, "wrk made $rb->{requests} requests");
            is_deeply($rb->{codes}, { 401 => $rb->{answered} },
                      'every answer 401 (' . join(' ', map {
                          "$_=$rb->{codes}{$_}" } sort keys %{ $rb->{codes} })
                      . ')');
            is($rb->{socket_errors}, 0, 'wrk: no socket error');
        } or diag($rb->{output});

        my @c = $h->burst('/p', $victim, 40, tag => 'v');
        is(join(' ', grep { $_ != 401 } @c), '',
           'revoked by jti: 401 on 40 connections after the restarts');
        @c = $h->burst('/p', $subtok, 40, tag => 's');
        is(join(' ', grep { $_ != 401 } @c), '',
           'revoked by sub: 401 on 40 connections after the restarts');
        @c = $h->burst('/p', $valid, 40, tag => 'ok');
        is(join(' ', grep { $_ != 200 } @c), '',
           'valid: 200 on 40 connections');
        my $log = $h->log_since(0);
        unlike($log, qr/exit signal|AH00052|Segmentation fault|AH00060/,
               'no child crashed');
        unlike($log, qr/AH7002[3-6]/, 'no store set-up failure');
        $h->stop;
    };
}
$mc->stop if $mc;

done_testing;
