# SPDX-License-Identifier: Apache-2.0
# Require jwt-role / jwt-claim / jwt-scope / valid-jwt and their
# combinations; insufficient_scope as 401, or 403 with
# AuthzSendForbiddenOnFailure On.
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

sub tok { mint(alg => 'RS256', claims => { @_ }) }
sub good { my ($n, $url, $t) = @_; check_ok($n, sub { GET_($url, bearer($t)) }) }
# A valid token lacking the Require: insufficient_scope, never invalid_token.
sub scope_fail {
    my ($n, $url, $t, $status) = @_;
    $status ||= 401;
    subtest $n => sub {
        my $r = GET_($url, bearer($t));
        is($r->code, $status, "status $status");
        like(scalar($r->header('WWW-Authenticate')) // '', www_scope('ajwt'),
             'WWW-Authenticate insufficient_scope');
        unlike($r->content, qr/role|scope|claim/i, 'body says not why');
    };
}

good('role in array', '/p/role', tok(roles => ['user', 'editor']));
good('role in space-separated string', '/p/role', tok(roles => 'user admin'));
scope_fail('roles lacking', '/p/role', tok(roles => ['user', 'administrator']));
scope_fail('role as substring of string', '/p/role', tok(roles => 'xadmin user'));
scope_fail('no roles claim', '/p/role', tok());
good('realm_access.roles', '/p/role-realm',
     tok(realm_access => { roles => ['offline', 'admin'] }));
scope_fail('realm_access.roles lacking', '/p/role-realm',
     tok(realm_access => { roles => ['offline'] }, roles => ['admin']));

good('jwt-claim string', '/p/claim-str', tok(dept => 'sales'));
scope_fail('jwt-claim string differs', '/p/claim-str', tok(dept => 'Sales'));
good('jwt-claim number', '/p/claim-num', tok(level => 3));
scope_fail('jwt-claim number differs', '/p/claim-num', tok(level => 4));
scope_fail('jwt-claim number as string "3x"', '/p/claim-num',
           tok(level => '3x'));
good('jwt-claim boolean', '/p/claim-bool', tok(verified => JSON::true));
scope_fail('jwt-claim boolean false', '/p/claim-bool',
           tok(verified => JSON::false));
good('jwt-claim array containing', '/p/claim-arr', tok(groups => ['g1', 'g3']));
good('jwt-claim string equal to one value', '/p/claim-arr', tok(groups => 'g2'));
scope_fail('jwt-claim array without', '/p/claim-arr', tok(groups => ['g1']));
good('jwt-claim dotted path', '/p/claim-path', tok(org => { name => 'acme' }));
scope_fail('jwt-claim dotted path differs', '/p/claim-path',
           tok(org => { name => 'acme2' }));

good('jwt-scope in scope', '/p/scope', tok(scope => 'openid read:docs'));
good('jwt-scope in scp array', '/p/scope', tok(scp => ['read:docs']));
good('jwt-scope in scp string', '/p/scope', tok(scp => 'x read:docs'));
scope_fail('jwt-scope lacking', '/p/scope', tok(scope => 'read:doc write'));

good('RequireAll both', '/p/all', tok(roles => ['admin'], scope => 'write'));
scope_fail('RequireAll one', '/p/all', tok(roles => ['admin'], scope => 'read'));
good('RequireAny role', '/p/any', tok(roles => ['admin']));
good('RequireAny claim', '/p/any', tok(dept => 'sales'));
scope_fail('RequireAny neither', '/p/any', tok(dept => 'hr', roles => ['x']));
good('Not banned', '/p/not', tok(roles => ['user']));
scope_fail('Not: banned', '/p/not', tok(roles => ['user', 'banned']));

good('RequireNone, neither', '/p/none', tok(roles => ['user'], dept => 'x'));
scope_fail('RequireNone, role banned', '/p/none', tok(roles => ['banned']));
scope_fail('RequireNone, claim blocked', '/p/none', tok(dept => 'blocked'));

# A sub-location inherits keys and issuer, and only changes the Require.
{
    my %iss = (iss => 'https://issuer.example');
    my $e = sub { mint(alg => 'ES256', claims => { %iss, @_ }) };
    good('parent location', '/p/inh', $e->());
    good('sub-location, role present', '/p/inh/admin', $e->(roles => ['admin']));
    scope_fail('sub-location, role lacking', '/p/inh/admin', $e->());
    my $t = mint(alg => 'ES256', claims => { roles => ['admin'],
                                             iss => 'https://x.example' });
    check_deny('sub-location keeps the parent issuer', sub {
        GET_('/p/inh/admin', bearer($t)) }, tag => 'AH70013', token => $t);
    $t = mint(alg => 'RS256', claims => { %iss, roles => ['admin'] });
    check_deny('sub-location keeps the parent key', sub {
        GET_('/p/inh/admin', bearer($t)) }, tag => [qw(AH70005 AH70007)],
        token => $t);
}

scope_fail('AuthzSendForbiddenOnFailure On: 403', '/p/forbid',
           tok(roles => ['user']), 403);
good('AuthzSendForbiddenOnFailure On, role present', '/p/forbid',
     tok(roles => ['admin']));
# An invalid token stays a 401 invalid_token even there.
{
    my $t = mint(alg => 'RS256', key => 'rsa2', claims => { roles => ['admin'] });
    check_deny('forbid location, bad signature: 401', sub {
        GET_('/p/forbid', bearer($t)) }, tag => 'AH70008', token => $t);
    check_deny('forbid location, no token: 401', sub { GET_('/p/forbid') },
               tag => 'AH70002');
}

done_testing;
