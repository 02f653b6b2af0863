# SPDX-License-Identifier: Apache-2.0
# Per key URL gauges: seconds since the last good fetch and the key count,
# in jwt-metrics (parsed by python3-prometheus-client) and in
# server-status?auto, against what a local HTTPS provider served: two
# URLs, one with 2 keys, one that never answers a JWK Set (+Inf, -1).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;
use AuthJWT::Provider qw(tmpdir make_ca make_cert jwk jwks_json);
use AuthJWT::Instance ();

my $py = '/usr/bin/python3';
plan skip_all => 'python3-prometheus-client missing (dev/setup)'
    unless system($py, '-c', 'import prometheus_client.parser') == 0;

my $dir = tmpdir();
my $k = keys_dir();
my $ca = make_ca($dir, 'ca');
my $idp = AuthJWT::Provider->idp(cert => make_cert($dir, 'idp', $ca));
ok($idp->start, 'HTTPS provider starts') or diag($idp->stderr);
$idp->set('two', body => jwks_json(
    jwk("$k/rsa.pub", kid => 'A', use => 'sig', alg => 'RS256'),
    jwk("$k/rsa2.pub", kid => 'B', use => 'sig', alg => 'RS256')));
$idp->set('bad', body => 'not json');

my $good = $idp->url('/two');
my $bad = $idp->url('/bad?x="q"');       # a quote to escape in the label
my $mods = AuthJWT::Instance::modules_dir();
my $h = AuthJWT::Provider->module(conf => [
    "LoadModule status_module $mods/mod_status.so",
    "AuthJWTJwksCA $ca->{crt}",
    '<Location "/p/">', 'AuthType jwt', 'AuthName idp',
    "AuthJWTJwksURL $good", 'Require valid-jwt', '</Location>',
    '<Location "/q/">', 'AuthType jwt', 'AuthName idp',
    "AuthJWTJwksURL $bad", 'Require valid-jwt', '</Location>',
    '<Location "/metrics">', 'SetHandler jwt-metrics', '</Location>',
    '<Location "/server-status">', 'SetHandler server-status', '</Location>',
]);
my $t0 = time;
ok($h->start, 'httpd starts') or diag($h->stderr . $h->error_log);
sleep 2;

my $text = $h->get('/metrics')->decoded_content;
my $in = File::Temp->new(SUFFIX => '.prom');
print $in $text;
close $in;
open my $ph, '-|', $py, '-c', <<'PY', "$in" or die "python: $!";
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    if fam.name.startswith('mod_auth_jwt_jwks_') and fam.type == 'gauge':
        for s in fam.samples:
            print('%s\t%s\t%r' % (s.name, s.labels['url'], s.value))
PY
my %g;
while (<$ph>) { chomp; my ($n, $u, $v) = split /\t/; $g{$n}{$u} = $v }
close $ph;
is($?, 0, 'the parser read jwt-metrics');
is($g{mod_auth_jwt_jwks_keys}{$good}, '2.0', 'keys of the good URL: 2');
is($g{mod_auth_jwt_jwks_keys}{$bad}, '0.0', 'keys of the bad URL: 0');
my $age = $g{mod_auth_jwt_jwks_last_good_age_seconds}{$good};
ok(defined $age && $age >= 0 && $age <= time - $t0 + 1,
   "good URL fetched at start-up (age $age s, up ${\(time - $t0)} s)");
is($g{mod_auth_jwt_jwks_last_good_age_seconds}{$bad}, 'inf',
   'bad URL: never a good fetch (+Inf), the quote unescaped by the parser');

my %s = map { /^(AuthJWT_jwks_\d+_\w+): (.*)$/ ? ($1 => $2) : () }
        split /\n/, $h->get('/server-status?auto')->decoded_content;
my %byurl = map { $s{"AuthJWT_jwks_${_}_url"} => $_ } 0, 1;
ok(exists $byurl{$good} && exists $byurl{$bad}, 'both URLs in ?auto')
    or diag explain \%s;
is($s{"AuthJWT_jwks_$byurl{$good}_keys"}, 2, '?auto: 2 keys');
is($s{"AuthJWT_jwks_$byurl{$bad}_keys"}, 0, '?auto: 0 keys');
is($s{"AuthJWT_jwks_$byurl{$bad}_last_good_age"}, -1, '?auto: never is -1');
ok($s{"AuthJWT_jwks_$byurl{$good}_last_good_age"} >= 0, '?auto: an age');
like($h->get('/server-status')->decoded_content,
     qr{<td>\Q$good\E</td><td>\d+</td><td>2</td>}, 'HTML: the good URL row');

$h->stop;
$idp->stop;
done_testing;
