# SPDX-License-Identifier: Apache-2.0
# AuthJWTClaimHeader: claims as request headers for a proxied backend (the
# backend is env.cgi on this server, behind ProxyPass /proxied/).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

my $t = mint(alg => 'RS256', claims => {
    sub => 'alice', email => 'alice@example.org', roles => ['a', 'b'],
    org => { name => 'acme' } });

check_ok('claims reach the backend as headers', sub {
    GET_('/proxied/x', bearer($t)) },
    like => [qr/^HTTP_X_JWT_USER=alice$/m,
             qr/^HTTP_X_JWT_EMAIL=alice\@example\.org$/m,
             qr/^HTTP_X_JWT_ROLES=a,b$/m, qr/^HTTP_X_JWT_ORG=acme$/m]);

check_ok('client-sent headers of the same names never arrive', sub {
    GET_('/proxied/x', bearer($t), 'X-Jwt-User' => 'mallory',
         'X-Jwt-Email' => 'evil@example.org', 'x-jwt-roles' => 'root') },
    like => [qr/^HTTP_X_JWT_USER=alice$/m, qr/^HTTP_X_JWT_ROLES=a,b$/m],
    unlike => [qr/mallory/, qr/evil\@example/, qr/root/]);

check_ok("client headers spelled with '_' for '-' never arrive either", sub {
    GET_('/proxied/x', bearer($t), ':X_Jwt_User' => 'mallory',
         ':x_jwt_roles' => 'root', ':X-Jwt_Email' => 'evil@example.org') },
    like => [qr/^HTTP_X_JWT_USER=alice$/m, qr/^HTTP_X_JWT_ROLES=a,b$/m],
    unlike => [qr/HTTP_X_UNDERSCORE_SEEN/, qr/mallory/, qr/root/,
               qr/evil\@example/]);

check_ok("... while other client headers with '_' pass untouched", sub {
    GET_('/proxied/x', bearer($t), ':X_Jwt_Other' => 'kept') },
    like => [qr/^HTTP_X_UNDERSCORE_SEEN=kept$/m]);

{
    my $t2 = mint(alg => 'RS256', claims => { sub => 'bob' });
    check_ok('claim absent: client header still removed', sub {
        GET_('/proxied/x', bearer($t2), 'X-Jwt-Email' => 'evil@example.org',
             'X-Jwt-Org' => 'evilcorp') },
        like => [qr/^HTTP_X_JWT_USER=bob$/m],
        unlike => [qr/evil/]);
}

check_deny('no token: not proxied', sub {
    GET_('/proxied/x', 'X-Jwt-User' => 'mallory') }, tag => 'AH70002');

for my $c (["\r\nX-Injected: 1", 'CRLF'], ["a\nb", 'LF'], ["a\tb", 'TAB'],
           ["a\x{7f}b", 'DEL']) {
    my ($v, $what) = @$c;
    my $t2 = mint(alg => 'RS256', claims => { email => "x$v" });
    check_deny("$what in a header-exported claim", sub {
        GET_('/proxied/x', bearer($t2)) }, tag => 'AH70009', token => $t2,
        after => sub { GET_('/proxied/x', bearer($t)) });
}

done_testing;
