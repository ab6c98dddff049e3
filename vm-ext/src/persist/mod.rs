//! The persistent model behind `_home`: plain-data values and records
//! ([`codec`]), engine-neutral function images ([`image`]), the piccolo core's
//! image conversion and bytecode verifier ([`piccolo_image`]), the project's
//! own core's images ([`own_image`]) and their prototype encoding
//! ([`own_codec`]), the
//! in-memory graph with dirty tracking and sweeping ([`model`]), and the
//! CBOR reader every record decoder uses ([`cbor`]).

pub mod cbor;
pub mod codec;
pub mod image;
pub mod model;
pub mod own_codec;
pub mod own_image;
pub mod piccolo_image;

pub use codec::{
    CodecError, DumpError, FunctionRecord, PKey, PValue, RecordKey, UpvalueSlot, FORMAT_VERSION,
};
pub use image::{FunctionImage, ImageConstant, ImageUpvalue};
pub use model::{HomeModel, ModelError, HOME_TABLE_ID};
pub use piccolo_image::VerifyError;
