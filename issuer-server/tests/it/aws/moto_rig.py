"""Drives a moto_server with boto3 (AWS's own SDK), for the AWS shim tests and .ci/aws.sh.

  moto_rig.py bootstrap ENDPOINT USER...   makes an admin user with an allow-all policy and an
                                           access key (moto's first unauthenticated calls; every
                                           later call must be SigV4-signed with that key) and
                                           the users given; prints {"access_key_id", "secret_access_key"}
  moto_rig.py keys ENDPOINT USER           prints the user's access keys as moto lists them:
                                           [{"id", "status"}], signed with the admin key from
                                           the env AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  moto_rig.py create-key ENDPOINT USER     makes a key as a person in the console would; prints its id
  moto_rig.py create-group ENDPOINT GROUP  makes an IAM group
  moto_rig.py group ENDPOINT GROUP         prints {user: [access key id]} for the group's users
  moto_rig.py works ENDPOINT ID SECRET     exits 0 when the key pair is accepted by moto (GetUser)
"""
import json
import sys

import boto3
import botocore.exceptions

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def iam(endpoint, key_id=None, secret=None):
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    if key_id:
        kwargs.update(aws_access_key_id=key_id, aws_secret_access_key=secret)
    return boto3.client("iam", **kwargs)


def main():
    command, endpoint = sys.argv[1], sys.argv[2]
    if command == "bootstrap":
        # Three unauthenticated calls: INITIAL_NO_AUTH_ACTION_COUNT=3.
        anonymous = iam(endpoint, "AKIAANONYMOUSANONYMS", "anonymous")
        anonymous.create_user(UserName="issuer-admin")
        anonymous.put_user_policy(UserName="issuer-admin", PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = anonymous.create_access_key(UserName="issuer-admin")["AccessKey"]
        admin = iam(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        for user in sys.argv[3:]:
            admin.create_user(UserName=user)
        print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))
    elif command == "keys":
        import os
        admin = iam(endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        keys = admin.list_access_keys(UserName=sys.argv[3])["AccessKeyMetadata"]
        print(json.dumps([{"id": k["AccessKeyId"], "status": k["Status"]} for k in keys]))
    elif command == "create-key":
        import os
        admin = iam(endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        print(admin.create_access_key(UserName=sys.argv[3])["AccessKey"]["AccessKeyId"])
    elif command == "create-group":
        import os
        admin = iam(endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        admin.create_group(GroupName=sys.argv[3])
    elif command == "group":
        import os
        admin = iam(endpoint, os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        users = admin.get_group(GroupName=sys.argv[3])["Users"]
        print(json.dumps({u["UserName"]: [k["AccessKeyId"] for k in admin.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]] for u in users}))
    elif command == "works":
        # Authentication, not authorisation: a key of a user without policies is refused
        # AccessDenied, a deleted or inactive one InvalidClientTokenId.
        try:
            iam(endpoint, sys.argv[3], sys.argv[4]).get_user()
        except botocore.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
            print(code)
            if code != "AccessDenied":
                sys.exit(1)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
