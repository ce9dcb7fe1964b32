//! GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial: the operations of
//! keys whose material is imported (origin `EXTERNAL`). kmsd checks the key they name as AWS
//! does; importing material itself is not there yet, and says so.

use super::resolve::Access;
use super::{Context, Error, Kms, Result};
use crate::model::{KeyRef, Origin};

impl Kms {
    /// The checks all three operations make on their key: it exists in the caller's account
    /// and its material is imported ("<arn> origin is AWS_KMS which is not valid for this
    /// operation." otherwise).
    pub fn check_import_key(&self, cx: &mut Context, key_ref: &KeyRef) -> Result<()> {
        let key = self.resolve(cx, key_ref, Access::Own)?;
        key.require_customer_managed(&cx.caller, cx.operation)?;
        key.require_origin(Origin::External)?;
        Err(Error::Unsupported(format!(
            "{} is not supported by kmsd yet: it cannot import key material.",
            cx.operation
        )))
    }
}
