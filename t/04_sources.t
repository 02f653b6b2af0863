# SPDX-License-Identifier: Apache-2.0
# Where the token is taken from: header (default), cookie=NAME, query=NAME,
# and the order of AuthJWTTokenFrom (the first source holding one wins).
use strict;
use warnings FATAL => 'all';
use FindBin;
use lib "$FindBin::Bin/lib";
use Apache::Test qw(-withtestmore);
use AuthJWT::Test;

my $good = mint(alg => 'RS256');
my $bad  = mint(alg => 'RS256', key => 'rsa2');

check_ok('header Bearer', sub { GET_('/p/rsa-pem', bearer($good)) });
check_ok('header, scheme in lower case', sub {
    GET_('/p/rsa-pem', Authorization => "bearer $good") });
check_deny('header Basic scheme is no token', sub {
    GET_('/p/rsa-pem', Authorization => "Basic $good") }, tag => 'AH70002',
    token => $good);
check_deny('default source ignores the query', sub {
    GET_("/p/rsa-pem?access_token=$good") }, tag => 'AH70002');
check_deny('default source ignores cookies', sub {
    GET_('/p/rsa-pem', cookie([jwt => $good])) }, tag => 'AH70002');

check_ok('cookie=jwt', sub {
    GET_('/p/src-cookie', cookie([a => 'b'], [jwt => $good], [c => 'd'])) });
check_deny('cookie=jwt, other cookie name', sub {
    GET_('/p/src-cookie', cookie([jwtx => $good])) }, tag => 'AH70002');
check_deny('cookie=jwt ignores the header', sub {
    GET_('/p/src-cookie', bearer($good)) }, tag => 'AH70002');
check_deny('cookie=jwt, bad token', sub {
    GET_('/p/src-cookie', cookie([jwt => $bad])) }, tag => 'AH70008',
    token => $bad);

check_ok('query=access_token', sub {
    GET_("/p/src-query?x=1&access_token=$good&y=2") });
check_ok('query=access_token, percent-encoded dots', sub {
    (my $e = $good) =~ s/\./%2E/g;
    GET_("/p/src-query?access_token=$e") });
check_deny('query, other parameter', sub {
    GET_("/p/src-query?token=$good") }, tag => 'AH70002');
check_deny('query, bad token', sub {
    GET_("/p/src-query?access_token=$bad") }, tag => 'AH70008',
    token => $bad);

# AuthJWTTokenFrom cookie=jwt header query=t
check_ok('order: cookie', sub {
    GET_('/p/src-order', cookie([jwt => $good])) });
check_ok('order: header when no cookie', sub {
    GET_('/p/src-order', bearer($good)) });
check_ok('order: query when neither', sub { GET_("/p/src-order?t=$good") });
check_deny('order: a bad cookie wins over a good header', sub {
    GET_('/p/src-order', cookie([jwt => $bad]), bearer($good)) },
    tag => 'AH70008', token => $bad);
check_deny('order: a bad header wins over a good query', sub {
    GET_("/p/src-order?t=$good", bearer($bad)) }, tag => 'AH70008');
check_ok('order: good cookie, bad header', sub {
    GET_('/p/src-order', cookie([jwt => $good]), bearer($bad)) });
check_deny('order: nothing anywhere', sub { GET_('/p/src-order') },
           tag => 'AH70002');

done_testing;
