# SPDX-License-Identifier: Apache-2.0
# Metrics of the issuing endpoints: logins by result, lockouts, refreshes
# by result, refresh-token reuse and logouts by result, exactly, read
# through jwt-metrics (parsed by python3-prometheus-client) on a private
# prefork httpd.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Instance qw(login_conf users_file tokens_of);

my $py = '/usr/bin/python3';
plan skip_all => 'python3-prometheus-client missing (dev/setup)'
    unless system($py, '-c', 'import prometheus_client.parser') == 0;
plan skip_all => 'htpasswd missing (apache2-utils)'
    unless `htpasswd 2>&1` =~ /Usage/;

my $h = AuthJWT::Instance->new(mpm => 'prefork', children => 4,
                               name => 'metrics-sessions');
my $users = users_file($h->dir . '/users', { alice => 'pw-a', bob => 'pw-b' },
                       cost => 4);
$h->{conf} = "AuthJWTRevocationStore shm\n"
    . login_conf(users => $users, root => ['AuthJWTLockout 3 600'])
    . "<Location /metrics>\n    SetHandler jwt-metrics\n</Location>\n";
$h->start;

sub metrics {
    my $script = <<'PY';
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        lab = ','.join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        print('%s%s %r' % (s.name, '{%s}' % lab if lab else '', s.value))
PY
    my $r = $h->get('/metrics');
    is($r->code, 200, '/metrics answers');
    AuthJWT::Instance::spew($h->dir . '/m.prom', $r->decoded_content);
    open my $ph, '-|', $py, '-c', $script, $h->dir . '/m.prom'
        or die "python: $!";
    my %m;
    while (<$ph>) { $m{$1} = $2 + 0 if /^(\S+) (\d+(?:\.\d+)?)$/ }
    close $ph;
    is($?, 0, 'the parser read it');
    return \%m;
}

my $ok = $h->login('alice', 'pw-a');
is($ok->code, 200, 'alice logs in');
my ($access, $rt1) = tokens_of($ok);
is($h->login('bob', 'wrong')->code, 401, "bob: wrong password $_")
    for 1 .. 3;
is($h->login('bob', 'pw-b')->code, 429, 'bob: locked out now');
my $r2 = $h->refresh($rt1);
is($r2->code, 200, 'refresh');
my (undef, $rt2) = tokens_of($r2);
is($h->refresh($rt2)->code, 200, 'refresh again');
# two generations back: reuse, not a race with a concurrent refresh
is($h->refresh($rt1)->code, 401, 'the first refresh token again: reuse');
is($h->refresh('garbage')->code, 401, 'a bad refresh token');
is($h->request(POST => '/auth/refresh/logout', token => $access)->code, 200,
   'logout');
is($h->request(POST => '/auth/refresh/logout', type => 'application/json',
               body => '{"scope":"all"}')->code, 401,
   'logout scope=all without a token: refused');

my $m = metrics();
my %want = (
    'mod_auth_jwt_logins_total{result="ok"}'         => 1,
    'mod_auth_jwt_logins_total{result="refused"}'    => 4,
    'mod_auth_jwt_lockouts_total'                    => 1,
    'mod_auth_jwt_refreshes_total{result="ok"}'      => 2,
    'mod_auth_jwt_refreshes_total{result="refused"}' => 2,
    'mod_auth_jwt_refresh_reuse_total'               => 1,
    'mod_auth_jwt_logouts_total{result="ok"}'        => 1,
    'mod_auth_jwt_logouts_total{result="refused"}'   => 1,
);
for my $k (sort keys %want) {
    is($m->{$k}, $want{$k}, $k);
    diag sprintf '%-50s expected %2d  seen %2s', $k, $want{$k},
        $m->{$k} // '-';
}
$h->stop;
done_testing;
