# SPDX-License-Identifier: Apache-2.0
# What a CGI script sees: REMOTE_USER, AUTH_TYPE, JWT_CLAIM_*, JWT_TOKEN;
# AuthJWTClaimsEnv Off; AuthJWTUserClaim; AuthBasicProvider jwt.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

my $exp = NOW + 600;
my $t = mint(alg => 'RS256', claims => {
    sub => 'alice', exp => $exp, email => 'alice@example.org',
    roles => ['admin', 'dev'], level => 3, ratio => 0.5,
    verified => JSON::true, off => JSON::false,
    org => { name => 'acme' }, 'x-dash.dot' => 'v',
    note => "line1\nline2",
});

check_ok('claims exported to CGI', sub { GET_('/p/rsa-pem/env', bearer($t)) },
    like => [
        qr/^REMOTE_USER=alice$/m, qr/^AUTH_TYPE=jwt$/mi,
        qr/^JWT_CLAIM_sub=alice$/m, qr/^JWT_CLAIM_email=alice\@example\.org$/m,
        qr/^JWT_CLAIM_roles=admin,dev$/m, qr/^JWT_CLAIM_level=3$/m,
        qr/^JWT_CLAIM_ratio=0\.5$/m,
        qr/^JWT_CLAIM_verified=true$/m, qr/^JWT_CLAIM_off=false$/m,
        qr/^JWT_CLAIM_exp=$exp$/m,
        qr/^JWT_CLAIM_org=\{"name":"acme"\}$/m,
        qr/^JWT_CLAIM_x_dash_dot=v$/m,
        qr/^JWT_TOKEN=\Q$t\E$/m,
    ],
    unlike => [qr/^JWT_CLAIM_note=/m, qr/line2/]);

check_ok('AuthJWTClaimsEnv Off', sub { GET_('/p/noenv/env', bearer($t)) },
    like => [qr/^REMOTE_USER=alice$/m, qr/^END$/m],
    unlike => [qr/^JWT_/m, qr/\Q$t\E/]);

check_ok('AuthJWTUserClaim email', sub { GET_('/p/user/env', bearer($t)) },
    like => [qr/^REMOTE_USER=alice\@example\.org$/m]);
{
    my $t2 = mint(alg => 'RS256', claims => { sub => 'bob' });
    check_deny('AuthJWTUserClaim email, token without email', sub {
        GET_('/p/user/env', bearer($t2)) }, tag => 'AH70009', token => $t2);
    $t2 = mint(alg => 'RS256', claims => { email => 42 });
    check_ok('AuthJWTUserClaim email as a number', sub {
        GET_('/p/user/env', bearer($t2)) }, like => qr/^REMOTE_USER=42$/m);
}

# A client cannot plant claims of its own through the environment.
check_ok('client header JWT_CLAIM-ish does not become a claim', sub {
    GET_('/p/rsa-pem/env', bearer($t), 'Jwt-Claim-Sub' => 'mallory') },
    like => qr/^REMOTE_USER=alice$/m, unlike => [qr/mallory/]);

# AuthBasicProvider jwt: the password is the token; the user name is ignored.
check_ok('Basic with a JWT password', sub {
    GET_('/p/basic/env', basic('whoever', $t)) },
    like => [qr/^REMOTE_USER=alice$/m]);
{
    my $bad = mint(alg => 'RS256', key => 'rsa2');
    subtest 'Basic with a bad JWT password' => sub {
        my $mark = log_mark();
        my $r = GET_('/p/basic/env', basic('alice', $bad));
        is($r->code, 401, 'status 401');
        like(scalar($r->header('WWW-Authenticate')) // '',
             qr/^Basic realm="ajwt-basic"/, 'Basic challenge');
        my $log = log_since($mark);
        like($log, qr/AH70008:/, 'AH70008 logged');
        my ($sig) = $bad =~ /\.([^.]+)$/;
        ok(index($log, $sig) < 0, 'token not logged');
    };
    subtest 'Basic with no credentials' => sub {
        my $r = GET_('/p/basic/env');
        is($r->code, 401, 'status 401');
        like(scalar($r->header('WWW-Authenticate')) // '',
             qr/^Basic realm="ajwt-basic"/, 'Basic challenge');
    };
    my $exp_t = mint(alg => 'RS256', claims => { exp => NOW - 100 });
    check_deny('Basic with an expired JWT', sub {
        GET_('/p/basic/env', basic('alice', $exp_t)) }, tag => 'AH70010',
        realm => undef, token => $exp_t);
}

done_testing;
